#include "app/manifest_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace podgate::app {

namespace {

constexpr uint32_t events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                            IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF;

bool manifest_name(const std::string& name) {
    const auto ext = std::filesystem::path(name).extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

} // namespace

manifest_watch::~manifest_watch() {
    if (_fd >= 0) {
        close(_fd);
    }
}

void manifest_watch::add_tree(const std::string& dir) {
    const int wd = inotify_add_watch(_fd, dir.c_str(), events);
    if (wd < 0) {
        return;
    }
    _dirs[wd] = dir;
    _files[dir].push_back("");
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_directory(ec)) {
            add_tree(e.path().string());
        }
    }
}

status manifest_watch::start(const std::vector<std::string>& paths,
                             std::chrono::milliseconds debounce) {
    _debounce = debounce;
    _fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (_fd < 0) {
        return fail(std::string("inotify: ") + std::strerror(errno));
    }
    for (const auto& p : paths) {
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            add_tree(p);
            continue;
        }
        const auto dir = std::filesystem::path(p).parent_path();
        const std::string parent = dir.empty() ? std::string(".") : dir.string();
        const int wd = inotify_add_watch(_fd, parent.c_str(), events);
        if (wd < 0) {
            return fail("cannot watch " + parent + ": " + std::strerror(errno));
        }
        _dirs[wd] = parent;
        _files[parent].push_back(std::filesystem::path(p).filename().string());
    }
    return {};
}

bool manifest_watch::relevant(int wd, const char* name) const {
    auto dir = _dirs.find(wd);
    if (dir == _dirs.end()) {
        return false;
    }
    const auto& names = _files.at(dir->second);
    if (name == nullptr || *name == '\0') {
        return true; // the directory itself moved or went away
    }
    if (std::find(names.begin(), names.end(), "") != names.end()) {
        return manifest_name(name) || std::filesystem::is_directory(dir->second + "/" + name);
    }
    return std::find(names.begin(), names.end(), std::string(name)) != names.end();
}

bool manifest_watch::changed(std::chrono::steady_clock::time_point now) {
    if (_fd < 0) {
        return false;
    }
    alignas(inotify_event) char buf[16384];
    while (true) {
        const ssize_t n = read(_fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            if (!relevant(ev->wd, ev->len ? ev->name : nullptr)) {
                continue;
            }
            if ((ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR)) {
                add_tree(_dirs[ev->wd] + "/" + ev->name); // new subdirectory: watch it too
            }
            _pending = true;
            _last_event = now;
        }
    }
    if (_pending && now - _last_event >= _debounce) {
        _pending = false;
        return true;
    }
    return false;
}

} // namespace podgate::app
