#include "tests/conformance/truth_table.hpp"

#include <charconv>
#include <sstream>

namespace podgate::conformance {

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

bool parse_port_protocol(const std::string& text, port_protocol& out) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) {
        return false;
    }
    unsigned port = 0;
    const char* begin = text.data();
    auto [end, ec] = std::from_chars(begin, begin + slash, port);
    if (ec != std::errc{} || end != begin + slash || port > 65535) {
        return false;
    }
    const std::string proto = text.substr(slash + 1);
    if (proto == "TCP") {
        out.proto = 6;
    } else if (proto == "UDP") {
        out.proto = 17;
    } else if (proto == "SCTP") {
        out.proto = 132;
    } else {
        return false;
    }
    out.port = static_cast<uint16_t>(port);
    return true;
}

} // namespace

std::string to_string(const port_protocol& pp) {
    const char* name = pp.proto == 6     ? "TCP"
                       : pp.proto == 17  ? "UDP"
                       : pp.proto == 132 ? "SCTP"
                                         : "?";
    return std::to_string(pp.port) + "/" + name;
}

std::string truth_table::pretty(const std::vector<std::vector<bool>>* marks) const {
    std::string out = "-";
    for (const auto& p : pods) {
        out += "\t" + p;
    }
    for (size_t f = 0; f < pods.size(); ++f) {
        out += "\n" + pods[f];
        for (size_t t = 0; t < pods.size(); ++t) {
            out += "\t";
            out += cells[f][t] ? "." : "X";
            if (marks != nullptr && (*marks)[f][t]) {
                out += "*";
            }
        }
    }
    return out;
}

result<case_expectation> parse_expectation(const std::string& text) {
    case_expectation out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    std::vector<port_protocol> pending; // ports of the table being read
    truth_table table;
    size_t rows_left = 0;
    const auto fail = [&](const std::string& message) {
        return podgate::fail("line " + std::to_string(number) + ": " + message);
    };

    while (std::getline(in, line)) {
        ++number;
        const auto w = words(line);
        if (w.empty() || w[0][0] == '#') {
            if (rows_left > 0 && !w.empty()) {
                return fail("comment inside a table");
            }
            continue;
        }
        if (rows_left > 0) {
            const size_t row = table.pods.size() - rows_left;
            if (w.size() != table.pods.size() + 1 || w[0] != table.pods[row]) {
                return fail("expected row " + table.pods[row] + " with " +
                            std::to_string(table.pods.size()) + " cells");
            }
            std::vector<bool> cells;
            for (size_t i = 1; i < w.size(); ++i) {
                if (w[i] != "." && w[i] != "X") {
                    return fail("cell \"" + w[i] + "\" is neither '.' nor 'X'");
                }
                cells.push_back(w[i] == ".");
            }
            table.cells.push_back(std::move(cells));
            if (--rows_left == 0) {
                for (const auto& pp : pending) {
                    if (!out.tables.emplace(pp, table).second) {
                        return fail(to_string(pp) + " has two tables");
                    }
                }
                pending.clear();
            }
            continue;
        }
        if (w[0] == "families:") {
            out.families.assign(w.begin() + 1, w.end());
        } else if (w[0] == "label:") {
            const auto eq = w.size() == 4 ? w[3].find('=') : std::string::npos;
            if (eq == std::string::npos || (w[1] != "namespace" && w[1] != "pod")) {
                return fail("expected \"label: namespace|pod TARGET KEY=VALUE\"");
            }
            out.labels.push_back(
                {w[1] == "namespace", w[2], w[3].substr(0, eq), w[3].substr(eq + 1)});
        } else if (w[0] == "ports:") {
            if (!pending.empty()) {
                return fail("\"ports:\" without a table");
            }
            for (size_t i = 1; i < w.size(); ++i) {
                port_protocol pp;
                if (!parse_port_protocol(w[i], pp)) {
                    return fail("bad port/protocol \"" + w[i] + "\"");
                }
                pending.push_back(pp);
            }
            if (pending.empty()) {
                return fail("\"ports:\" lists nothing");
            }
        } else if (w[0] == "-") {
            if (pending.empty()) {
                return fail("table without \"ports:\"");
            }
            table = {};
            table.pods.assign(w.begin() + 1, w.end());
            rows_left = table.pods.size();
            if (rows_left == 0) {
                return fail("table without columns");
            }
        } else {
            return fail("unexpected \"" + w[0] + "\"");
        }
    }
    if (rows_left > 0 || !pending.empty()) {
        return fail("table incomplete at end of file");
    }
    if (out.families.empty()) {
        return fail("no \"families:\" line");
    }
    return out;
}

} // namespace podgate::conformance
