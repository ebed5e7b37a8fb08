// Files -> text -> doc_tree -> objects. This file owns what spans objects:
// which files to read, documents and Lists, kind/apiVersion dispatch,
// duplicate objects and pod IPs used twice.

#include "config/manifest_loader.hpp"

#include "config/decode.hpp"
#include "config/readers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <unordered_set>

namespace podgate::config {

std::string diagnostic::to_string() const {
    std::string s = file;
    if (line > 0) {
        s += ':';
        s += std::to_string(line);
    }
    s += ": ";
    if (!object.empty()) {
        s += object;
        s += ": ";
    }
    if (!field.empty()) {
        s += field;
        s += ": ";
    }
    s += message;
    return s;
}

namespace {

using namespace detail;
namespace fs = std::filesystem;

// yaml-cpp counts positions in int.
constexpr size_t max_file_bytes = INT_MAX;
// kind: List inside kind: List inside ...
constexpr int max_list_nesting = 8;
// Flow-style YAML that starts with '{' is hand-written and small; a broken
// 700 MB `-o json` dump must not be re-read by yaml-cpp (~10x its size in RAM).
constexpr size_t max_yaml_fallback_bytes = 16 << 20;

struct ip_hash {
    size_t operator()(const ip_address& a) const noexcept {
        const auto lo = static_cast<uint64_t>(a.value);
        const auto hi = static_cast<uint64_t>(a.value >> 64);
        return std::hash<uint64_t>{}(lo ^ (hi * 0x9E3779B97F4A7C15ull) ^
                                     static_cast<uint64_t>(a.family));
    }
};

struct loader {
    load_result result;
    // "Kind/namespace/name" -> where it was first defined.
    std::unordered_map<std::string, source_location> objects;
    // Endpoint pod address -> index in result.objects.pods.
    std::unordered_map<ip_address, size_t, ip_hash> pod_ips;

    void file_error(std::string_view file, int line, std::string message) {
        result.errors.push_back({std::string(file), line, {}, {}, std::move(message)});
    }

    void load_text(std::string_view text, std::string_view file);
    void load_object(file_context& ctx, node_id root, std::string_view inherited_kind,
                     std::string_view inherited_api, int list_depth, const std::string& label);
    void decode_known(walker& w, std::string_view kind, std::string_view api, node_id api_node,
                      const object_nodes& o);
    bool claim_name(walker& w, std::string_view kind, const std::string& ns,
                    const std::string& name, node_id root);
    void add_pod(walker& w, decoded_pod&& p);
};

bool is_list_kind(std::string_view kind) {
    return kind.size() >= 4 && kind.substr(kind.size() - 4) == "List";
}

void loader::load_text(std::string_view text, std::string_view file) {
    if (text.size() > max_file_bytes) {
        file_error(file, 0, "file too large (more than 2 GiB)");
        return;
    }
    auto tree = std::make_unique<doc_tree>();
    std::optional<syntax_error> failure;
    if (looks_like_json(text)) {
        failure = read_json(text, *tree);
        const bool json_name = file.size() >= 5 && file.substr(file.size() - 5) == ".json";
        if (failure && !json_name && text.size() <= max_yaml_fallback_bytes) {
            // Flow-style YAML also starts with '{'; keep the JSON error if
            // it is not that either.
            auto yaml_tree = std::make_unique<doc_tree>();
            if (!read_yaml(text, *yaml_tree)) {
                tree = std::move(yaml_tree);
                failure.reset();
            }
        }
    } else {
        failure = read_yaml(text, *tree);
    }
    if (failure) {
        file_error(file, static_cast<int>(failure->line), failure->message);
    }
    const auto& docs = tree->documents();
    const bool empty = std::all_of(docs.begin(), docs.end(),
                                   [&](node_id d) { return tree->at(d).kind == node_kind::null; });
    if (empty) {
        if (!failure) {
            file_error(file, 0, "no Kubernetes objects in file");
        }
        return;
    }
    file_context ctx(*tree, file, result);
    const size_t first_error = result.errors.size();
    const size_t first_warning = result.warnings.size();
    for (const node_id doc : docs) {
        if (tree->at(doc).kind == node_kind::null) {
            continue; // an empty document between two "---"
        }
        load_object(ctx, doc, {}, {}, 0, {});
        if (ctx.budget_exhausted) {
            break;
        }
    }
    // Decoders report in the order they check; readers want file order.
    const auto by_line = [](const diagnostic& a, const diagnostic& b) { return a.line < b.line; };
    std::stable_sort(result.errors.begin() + static_cast<std::ptrdiff_t>(first_error),
                     result.errors.end(), by_line);
    std::stable_sort(result.warnings.begin() + static_cast<std::ptrdiff_t>(first_warning),
                     result.warnings.end(), by_line);
}

void loader::load_object(file_context& ctx, node_id root, std::string_view inherited_kind,
                         std::string_view inherited_api, int list_depth, const std::string& label) {
    walker w(ctx, label);
    const field_path top;
    if (w.is_null(root) || w.tree().at(root).kind != node_kind::map) {
        w.error(top, w.line(root), "expected a Kubernetes object (a map), got " + w.describe(root));
        return;
    }
    object_nodes o;
    o.root = root;
    node_id kind_node = no_node;
    node_id api_node = no_node;
    node_id items_node = no_node;
    w.for_each_field(root, top, [&](std::string_view key, node_id value, uint32_t) {
        if (key == "kind") {
            kind_node = value;
        } else if (key == "apiVersion") {
            api_node = value;
        } else if (key == "metadata") {
            o.metadata = value;
        } else if (key == "spec") {
            o.spec = value;
        } else if (key == "status") {
            o.status = value;
        } else if (key == "items") {
            items_node = value;
        }
    });
    const auto kind_text = w.string(kind_node, top.child("kind"));
    const std::string_view kind = kind_text.value_or(inherited_kind);
    const std::string_view api =
        w.string(api_node, top.child("apiVersion")).value_or(inherited_api);
    if (kind.empty()) {
        if (w.is_null(kind_node) || kind_text) {
            w.error(top.child("kind"), w.line(root), "required value");
        }
        return;
    }
    if (is_list_kind(kind)) {
        w.set_object(std::string(kind));
        if (list_depth >= max_list_nesting) {
            w.error(top, w.line(root),
                    "Lists nested more than " + std::to_string(max_list_nesting) + " deep");
            return;
        }
        // Items of a typed list (PodList from the API) may omit their kind
        // and apiVersion; those of a plain List carry their own.
        const bool typed = kind != "List";
        const std::string_view item_kind =
            typed ? kind.substr(0, kind.size() - 4) : std::string_view{};
        const std::string_view item_api = typed ? api : std::string_view{};
        const auto items = top.child("items");
        w.for_each_item(items_node, items, [&](size_t i, node_id item) {
            load_object(ctx, item, item_kind, item_api, list_depth + 1,
                        "items[" + std::to_string(i) + "]");
        });
        return;
    }
    if (kind != "Namespace" && kind != "Pod" && kind != "NetworkPolicy") {
        spdlog::debug("{}:{}: skipping {} (podgate reads Namespace, Pod and NetworkPolicy)",
                      ctx.file, w.line(root), kind);
        return;
    }
    decode_known(w, kind, api, api_node, o);
}

void loader::decode_known(walker& w, std::string_view kind, std::string_view api, node_id api_node,
                          const object_nodes& o) {
    const bool namespaced = kind != "Namespace";
    object_meta meta = decode_metadata(w, kind, o, namespaced);
    const std::string_view want_api = kind == "NetworkPolicy" ? "networking.k8s.io/v1" : "v1";
    const auto api_path = field_path().child("apiVersion");
    if (api.empty() && !w.is_null(api_node) && w.tree().at(api_node).kind != node_kind::scalar) {
        // Reported as the wrong type.
    } else if (api.empty()) {
        w.error(api_path, w.line(o.root), "required value (expected " + quoted(want_api) + ")");
    } else if (api != want_api) {
        w.error(api_path, w.line(w.is_null(api_node) ? o.root : api_node),
                "unsupported apiVersion " + quoted(api) + " for " + std::string(kind) +
                    " (expected " + quoted(want_api) + ")");
    }
    const bool unique = meta.name.empty() || claim_name(w, kind, meta.ns, meta.name, o.root);
    if (kind == "Namespace") {
        auto ns = decode_namespace(w, o, std::move(meta));
        if (w.error_count() == 0 && unique) {
            result.objects.namespaces.push_back(std::move(ns));
        }
    } else if (kind == "Pod") {
        auto p = decode_pod(w, o, std::move(meta));
        if (w.error_count() == 0 && unique) {
            add_pod(w, std::move(p));
        }
    } else {
        auto np = decode_network_policy(w, o, std::move(meta));
        if (w.error_count() == 0 && unique) {
            result.objects.policies.push_back(std::move(np));
        }
    }
}

bool loader::claim_name(walker& w, std::string_view kind, const std::string& ns,
                        const std::string& name, node_id root) {
    std::string key(kind);
    key += '/';
    key += ns;
    key += '/';
    key += name;
    const source_location here{std::string(w.context().file), static_cast<int>(w.line(root))};
    auto [it, inserted] = objects.try_emplace(std::move(key), here);
    if (!inserted) {
        w.error(field_path(), w.line(root),
                "duplicate object, first defined at " + it->second.file + ":" +
                    std::to_string(it->second.line));
    }
    return inserted;
}

void loader::add_pod(walker& w, decoded_pod&& p) {
    auto& pods = result.objects.pods;
    if (p.value.is_endpoint()) {
        // Two live pods with one address would make every verdict for it a guess.
        bool clash = false;
        for (size_t i = 0; i < p.value.ips.size(); ++i) {
            const auto found = pod_ips.find(p.value.ips[i]);
            if (found == pod_ips.end()) {
                continue;
            }
            const pod& other = pods[found->second];
            const ip_origin& at = p.ip_origins[i];
            const field_path root;
            const field_path status = root.child("status");
            const field_path ips = status.child("podIPs");
            const field_path item = ips.index(static_cast<size_t>(at.index < 0 ? 0 : at.index));
            w.error(at.index < 0 ? status.child("podIP") : item.child("ip"), at.line,
                    "IP " + to_string(p.value.ips[i]) + " is also used by Pod " +
                        other.qualified_name() + " (" + other.where.file + ":" +
                        std::to_string(other.where.line) + ")");
            clash = true;
        }
        if (clash) {
            return;
        }
        for (const auto& ip : p.value.ips) {
            pod_ips.emplace(ip, pods.size());
        }
    }
    pods.push_back(std::move(p.value));
}

// Whole file into memory; nullopt after reporting when it cannot be read.
std::optional<std::string> read_file(loader& l, const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        l.file_error(path, 0, std::string("cannot read: ") + std::strerror(errno));
        return std::nullopt;
    }
    std::string text;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size <= max_file_bytes) {
        text.reserve(size);
    }
    char buf[1 << 16];
    for (;;) {
        const size_t n = std::fread(buf, 1, sizeof buf, f.get());
        text.append(buf, n);
        if (text.size() > max_file_bytes) {
            l.file_error(path, 0, "file too large (more than 2 GiB)");
            return std::nullopt;
        }
        if (n < sizeof buf) {
            break;
        }
    }
    if (std::ferror(f.get())) {
        l.file_error(path, 0, std::string("cannot read: ") + std::strerror(errno));
        return std::nullopt;
    }
    return text;
}

bool manifest_extension(const fs::path& p) {
    const auto ext = p.extension();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Every manifest file under `dir`, sorted. Entries whose name starts with '.'
// are skipped: a ConfigMap volume holds each file twice, once under a hidden
// "..2024_01_01_..." directory, and .git has no manifests.
std::vector<std::string> list_directory(loader& l, const fs::path& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (!name.empty() && name[0] == '.') {
            if (it->is_directory(ec)) {
                it.disable_recursion_pending();
            }
            continue;
        }
        if (it->is_regular_file(ec) && manifest_extension(it->path())) {
            files.push_back(it->path().string());
        }
    }
    if (ec) {
        l.file_error(dir.string(), 0, "cannot list directory: " + ec.message());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Seals what loaded (cluster::seal) before handing it over. Sealing is an
// optimisation: should it run out of memory, the cluster stays unsealed and
// is compared field by field.
load_result finish(loader& l) {
    if (l.result.ok()) {
        try {
            l.result.objects.seal();
        } catch (const std::exception&) {
        }
    }
    return std::move(l.result);
}

} // namespace

load_result load_manifest_text(std::string_view text, std::string_view file_name) {
    loader l;
    const std::string_view file = file_name.empty() ? "<text>" : file_name;
    try {
        l.load_text(text, file);
    } catch (const std::exception& e) {
        // Allocation failure on a huge input; nothing else is expected to throw.
        l.file_error(file, 0, std::string("cannot load: ") + e.what());
    }
    return finish(l);
}

load_result load_manifests(const std::vector<std::string>& paths) {
    loader l;
    std::unordered_set<std::string> loaded; // a file named twice, or inside a named directory
    const auto load_file = [&](const std::string& path) {
        std::error_code ec;
        auto canonical = fs::weakly_canonical(path, ec).string();
        if (!loaded.insert(ec ? path : canonical).second) {
            spdlog::debug("{}: already loaded", path);
            return;
        }
        if (auto text = read_file(l, path)) {
            l.load_text(*text, path);
        }
    };
    for (const auto& path : paths) {
        try {
            std::error_code ec;
            const auto st = fs::status(path, ec);
            if (ec || !fs::exists(st)) {
                l.file_error(path, 0,
                             "cannot read: " +
                                 (ec ? ec.message() : std::string("No such file or directory")));
            } else if (fs::is_directory(st)) {
                for (const auto& file : list_directory(l, path)) {
                    load_file(file);
                }
            } else {
                load_file(path); // named explicitly: any extension
            }
        } catch (const std::exception& e) {
            l.file_error(path, 0, std::string("cannot load: ") + e.what());
        }
    }
    return finish(l);
}

} // namespace podgate::config
