#pragma once
// Watches the --manifests paths with inotify and says when they have changed
// and then stayed quiet for a debounce interval: editors write through temp
// files and renames, and `kubectl get ... -o yaml > file` truncates and then
// writes, so one reload per burst of events, after the last one.
// Directories are watched recursively; a file path is watched through its
// parent directory (so a rename onto it is seen). Control thread only.

#include "config/result.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace podgate::app {

class manifest_watch {
  public:
    manifest_watch() = default;
    ~manifest_watch();
    manifest_watch(const manifest_watch&) = delete;
    manifest_watch& operator=(const manifest_watch&) = delete;

    // Starts watching; returns an error message (empty on success).
    status start(const std::vector<std::string>& paths, std::chrono::milliseconds debounce);

    // Reads pending events without blocking. True once a change is followed
    // by `debounce` of quiet (and then not again until the next change).
    bool changed(std::chrono::steady_clock::time_point now);

  private:
    void add_tree(const std::string& dir);
    bool relevant(int wd, const char* name) const;

    int _fd = -1;
    std::chrono::milliseconds _debounce{200};
    std::map<int, std::string> _dirs; // watch descriptor -> directory
    std::map<std::string, std::vector<std::string>>
        _files; // directory -> watched file names ("" = all)
    bool _pending = false;
    std::chrono::steady_clock::time_point _last_event{};
};

} // namespace podgate::app
