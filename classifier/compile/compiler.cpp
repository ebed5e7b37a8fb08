// The compile driver: runs the stages of context.hpp in order and fills the
// cold parts of the result (names, statistics).

#include "classifier/compile/compiler.hpp"

#include "classifier/compile/context.hpp"

#include <chrono>
#include <exception>
#include <functional>

namespace podgate::classifier {

namespace compile_detail {

verdict non_pod_verdict(const compile_options& opt) {
    return opt.non_pod_traffic == config::default_action::allow
               ? verdict{true, verdict_reason::non_pod_allowed}
               : verdict{false, verdict_reason::non_pod_denied};
}

status run_stages(context& ctx, pod_tables& pods, tables& out) {
    const config::cluster& c = ctx.cluster;
    auto mark = std::chrono::steady_clock::now();
    const auto stage_done = [&](double& ms) {
        const auto now = std::chrono::steady_clock::now();
        ms = std::chrono::duration<double, std::milli>(now - mark).count();
        mark = now;
    };
    table_stats& st = out.stats;
    collect_peers(ctx);
    stage_done(st.stage_ms.peers);
    build_ip_regions(ctx);
    build_tries(ctx);
    stage_done(st.stage_ms.regions);
    assign_identities(ctx);
    stage_done(st.stage_ms.identities);
    build_sides(ctx);
    stage_done(st.stage_ms.sides);
    build_attribution(ctx);
    stage_done(st.stage_ms.attribution);
    if (status s = build_pod_tables(ctx, pods); !s) {
        return s;
    }
    if (status s = emit_tables(ctx, pods, out); !s) {
        return s;
    }
    stage_done(st.stage_ms.emit);
    out.non_pod_verdict = non_pod_verdict(ctx.options);
    out.generation = ctx.options.generation;

    table_names names;
    for (const auto& p : c.policies) {
        names.policies.push_back(p.qualified_name());
    }
    names.policy_sides.assign(c.policies.size(), 0);
    for (group_id g = 1; g < ctx.group_policies.size(); ++g) {
        for (uint32_t p : ctx.group_policies[g]) {
            names.policy_sides[p] |= g <= ctx.ingress_groups ? 1 : 2;
        }
    }
    names.group_policies = ctx.group_policies;
    out.names = std::make_shared<const table_names>(std::move(names));

    table_stats& s = out.stats;
    s.pods = static_cast<uint32_t>(ctx.pods.size());
    s.policies = static_cast<uint32_t>(c.policies.size());
    s.peers = static_cast<uint32_t>(ctx.selector_peers.size() + ctx.block_peers.size());
    s.identities = ctx.identity_count;
    s.ingress_groups = ctx.ingress_groups;
    s.egress_groups = ctx.egress_groups;
    s.segments = static_cast<uint32_t>(ctx.seg_start.size());
    s.rows = ctx.rows.size();
    s.trie_nodes_v4 = ctx.trie_nodes[0];
    s.trie_nodes_v6 = ctx.trie_nodes[1];
    s.attribution_pairs = static_cast<uint32_t>(ctx.attribution.size());
    s.attribution_tables = ctx.attribution_tables;
    return {};
}

compile_result guarded(const std::function<status(tables&)>& build) {
    const auto t0 = std::chrono::steady_clock::now();
    auto out = std::make_unique<tables>();
    try {
        if (status s = build(*out); !s) {
            return fail(s.error());
        }
    } catch (const std::bad_alloc&) {
        return fail("out of memory while compiling policy tables");
    } catch (const std::exception& e) {
        return fail(std::string("compile failed: ") + e.what());
    }
    out->stats.compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return std::unique_ptr<const tables>(std::move(out));
}

} // namespace compile_detail

compile_result compile(const config::cluster& c, const compile_options& opt) {
    return compile_detail::guarded([&](tables& out) {
        compile_detail::context ctx(c, opt);
        compile_detail::pod_tables pods;
        return compile_detail::run_stages(ctx, pods, out);
    });
}

} // namespace podgate::classifier
