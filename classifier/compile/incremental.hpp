#pragma once
// Recompiling after pods come and go, in time that grows with the pods that
// changed (plus one copy of the tables) instead of with the cluster.
//
// A full compile decides identities and groups from the pods it sees. A pod
// that arrives later changes nothing but the pod table when its match
// signature already names an identity and its selecting policies (and their
// port numbers) already name a group: the replica of a Deployment, a pod
// rescheduled with a new IP. Such a pod is placed by evaluating only the
// policies and peers that can see its namespace; a removed pod just leaves
// the pod table (its identity and groups stay, unused until the next full
// compile). Anything else - a policy or namespace changed, a pod whose labels
// or ports make a new identity or group - falls back to a full compile, and
// the report says why. Either way the tables give the verdict compile(next)
// would give for every flow (tests/differential/incremental_test.cpp).
//
// Control thread only; not thread-safe.

#include "classifier/compile/compiler.hpp"

#include <memory>
#include <string>

namespace podgate::classifier {

struct update_report {
    bool incremental = false; // false: a full compile ran
    std::string full_reason;  // why not incremental (empty when it was)
    uint32_t pods_added = 0;
    uint32_t pods_removed = 0;
    uint32_t pods_changed = 0;
    double diff_ms = 0;  // comparing the new cluster with the last one
    double apply_ms = 0; // placing changed pods, patching and writing the tables
};

class incremental_compiler {
  public:
    incremental_compiler();
    ~incremental_compiler();
    incremental_compiler(const incremental_compiler&) = delete;
    incremental_compiler& operator=(const incremental_compiler&) = delete;

    // A full compile whose state is kept for update() on success.
    compile_result compile(std::shared_ptr<const config::cluster> c, const compile_options& opt);

    // Tables for `next`: incremental when only pods changed and each fits an
    // existing identity and groups, a full compile otherwise. On failure the
    // kept state is that of the last success, like the running tables.
    compile_result update(std::shared_ptr<const config::cluster> next, const compile_options& opt);

    const update_report& last_report() const { return _report; }

  private:
    struct state;
    std::unique_ptr<state> _state;
    update_report _report;
};

} // namespace podgate::classifier
