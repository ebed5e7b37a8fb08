// app::manifest_watch on a real temporary directory: a change to a manifest
// is reported once, after the debounce; a change to anything else is not.
// Events are waited for with deadlines; short polling sleeps only pace the loop.
#include "app/manifest_watch.hpp"
#include "tests/loader/loader_test.hpp" // temp_dir

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <thread>

namespace podgate::app {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;
using config::test::temp_dir;

// The full path of `name` in `dir`.
std::string file(const temp_dir& dir, const std::string& name) {
    return (dir.path() / name).string();
}

constexpr auto debounce = 100ms;
constexpr auto deadline = 5s; // generous: the machine is shared

// Polls until the watch reports a change or `limit` passes; how long it took
// (or nullopt).
std::optional<clock::duration> wait_changed(manifest_watch& w, clock::duration limit) {
    const auto t0 = clock::now();
    while (clock::now() - t0 < limit) {
        if (w.changed(clock::now())) {
            return clock::now() - t0;
        }
        std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
}

class manifest_watch_test : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_FALSE(dir.path().empty());
        dir.write("a.yaml", "kind: List\n");
    }
    temp_dir dir;
    manifest_watch w;
};

TEST_F(manifest_watch_test, a_write_is_reported_once_after_the_debounce) {
    ASSERT_TRUE(w.start({dir.path().string()}, debounce).ok());
    EXPECT_FALSE(w.changed(clock::now())); // nothing yet
    dir.write("a.yaml", "kind: List\nitems: []\n");
    const auto took = wait_changed(w, deadline);
    ASSERT_TRUE(took.has_value()) << "write not reported";
    EXPECT_GE(*took, debounce);
    EXPECT_FALSE(wait_changed(w, 3 * debounce)) << "reported twice";
}

TEST_F(manifest_watch_test, a_rename_onto_a_manifest_and_a_delete_are_reported) {
    ASSERT_TRUE(w.start({dir.path().string()}, debounce).ok());
    dir.write("a.yaml.tmp", "kind: List\n");
    ASSERT_EQ(std::rename(file(dir, "a.yaml.tmp").c_str(), file(dir, "a.yaml").c_str()), 0);
    EXPECT_TRUE(wait_changed(w, deadline)) << "rename not reported";
    ASSERT_EQ(std::remove(file(dir, "a.yaml").c_str()), 0);
    EXPECT_TRUE(wait_changed(w, deadline)) << "delete not reported";
}

TEST_F(manifest_watch_test, an_irrelevant_file_is_not_reported) {
    ASSERT_TRUE(w.start({dir.path().string()}, debounce).ok());
    dir.write("notes.txt", "not a manifest\n");
    EXPECT_FALSE(wait_changed(w, 3 * debounce)) << "a .txt file triggered a reload";
    dir.write("b.yml", "kind: List\n"); // the watch is still alive
    EXPECT_TRUE(wait_changed(w, deadline));
}

TEST_F(manifest_watch_test, a_watched_file_ignores_its_siblings_but_sees_a_rename_onto_it) {
    ASSERT_TRUE(w.start({file(dir, "a.yaml")}, debounce).ok());
    dir.write("other.yaml", "kind: List\n");
    EXPECT_FALSE(wait_changed(w, 3 * debounce))
        << "a sibling of the watched file triggered a reload";
    dir.write("new.tmp", "kind: List\n");
    ASSERT_EQ(std::rename(file(dir, "new.tmp").c_str(), file(dir, "a.yaml").c_str()), 0);
    EXPECT_TRUE(wait_changed(w, deadline));
}

TEST_F(manifest_watch_test, a_new_subdirectory_is_watched_too) {
    ASSERT_TRUE(w.start({dir.path().string()}, debounce).ok());
    std::filesystem::create_directory(file(dir, "sub"));
    EXPECT_TRUE(wait_changed(w, deadline)) << "mkdir not reported";
    dir.write("sub/c.yaml", "kind: List\n");
    EXPECT_TRUE(wait_changed(w, deadline)) << "write in the new subdirectory not reported";
}

TEST_F(manifest_watch_test, an_unwatchable_path_is_an_error) {
    EXPECT_FALSE(w.start({file(dir, "missing/a.yaml")}, debounce).ok());
}

} // namespace
} // namespace podgate::app
