#include "app/prometheus.hpp"

namespace podgate::app {

std::string prometheus_label(const char* key, const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return std::string(key) + "=\"" + escaped + "\"";
}

void prometheus_writer::head(const char* name, const char* type, const char* help) {
    if (name == _last) {
        return;
    }
    _last = name;
    _out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

} // namespace podgate::app
