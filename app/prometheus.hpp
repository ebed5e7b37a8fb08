#pragma once
// Prometheus text format (version 0.0.4): one HELP/TYPE head per family,
// then its samples; label values escaped as the format asks.

#include <sstream>
#include <string>

namespace podgate::app {

// key="value" with \\, \" and \n escaped.
std::string prometheus_label(const char* key, const std::string& value);

class prometheus_writer {
  public:
    // Writes the family's head unless the previous sample was of the same family.
    void head(const char* name, const char* type, const char* help);
    template <typename V>
    void sample(const char* name, const char* type, const char* help, const std::string& labels,
                V value) {
        head(name, type, help);
        _out << name;
        if (!labels.empty()) {
            _out << "{" << labels << "}";
        }
        _out << " " << value << "\n";
    }
    std::string str() const { return _out.str(); }

  private:
    std::ostringstream _out;
    std::string _last;
};

} // namespace podgate::app
