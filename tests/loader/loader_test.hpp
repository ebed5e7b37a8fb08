#pragma once
// Helpers shared by the loader tests.

#include "config/manifest_loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace podgate::config::test {

inline std::vector<std::string> messages(const std::vector<diagnostic>& ds) {
    std::vector<std::string> out;
    out.reserve(ds.size());
    for (const auto& d : ds) {
        out.push_back(d.to_string());
    }
    return out;
}

inline std::string joined(const std::vector<diagnostic>& ds) {
    std::string out;
    for (const auto& d : ds) {
        out += d.to_string();
        out += '\n';
    }
    return out;
}

// The error strings `text` produces, loaded as t.yaml.
inline std::vector<std::string> errors_of(std::string_view text, std::string_view file = "t.yaml") {
    return messages(load_manifest_text(text, file).errors);
}

// Loads text that must be valid; every error fails the test.
inline cluster load_ok(std::string_view text, std::string_view file = "t.yaml") {
    auto r = load_manifest_text(text, file);
    EXPECT_TRUE(r.ok()) << joined(r.errors);
    return std::move(r.objects);
}

inline const pod* find_pod(const cluster& c, std::string_view name) {
    const auto it =
        std::find_if(c.pods.begin(), c.pods.end(), [&](const pod& p) { return p.name == name; });
    return it == c.pods.end() ? nullptr : &*it;
}

inline const network_policy* find_policy(const cluster& c, std::string_view name) {
    const auto it = std::find_if(c.policies.begin(), c.policies.end(),
                                 [&](const network_policy& p) { return p.name == name; });
    return it == c.policies.end() ? nullptr : &*it;
}

inline const namespace_object* find_namespace(const cluster& c, std::string_view name) {
    const auto it = std::find_if(c.namespaces.begin(), c.namespaces.end(),
                                 [&](const namespace_object& n) { return n.name == name; });
    return it == c.namespaces.end() ? nullptr : &*it;
}

inline ip_address ip(std::string_view text) {
    auto a = parse_ip(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a.value_or(ip_address{});
}

inline ip_prefix cidr(std::string_view text) {
    auto p = parse_cidr(text);
    EXPECT_TRUE(p.has_value()) << text;
    return p.value_or(ip_prefix{});
}

// A fresh directory under the system temp dir, removed with its contents.
class temp_dir {
  public:
    temp_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "podgate-loader-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        _path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return _path; }
    // Writes `text` to `relative` (creating directories); returns the full path.
    std::string write(const std::string& relative, std::string_view text) const {
        const auto p = _path / relative;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }

  private:
    std::filesystem::path _path;
};

inline std::string read_data(const std::string& name) {
    std::ifstream in(std::string(PODGATE_LOADER_DATA) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace podgate::config::test
