#include "tools/bench/dpdk_tables.hpp"

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include <chrono>
#include <cstddef>
#include <functional>

namespace podgate::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

enum : uint32_t { acl_allow = 1, acl_isolated = 2 };

// Rule fields in trie order: the subject (the pod whose side it is) before the
// peer. Egress reads the subject from src, ingress from dst. (Subject first in
// both matters: with the peer first, every peer branch must carry every
// "isolated, any peer" rule below it and the trie explodes.)
enum { f_proto, f_subject, f_peer, f_sport, f_dport, field_count };
RTE_ACL_RULE_DEF(acl4_rule, field_count);

rte_acl_config acl_config(config::direction d, size_t budget) {
    const bool egress = d == config::direction::egress;
    const uint32_t subject_at = egress ? offsetof(acl_input, src) : offsetof(acl_input, dst);
    const uint32_t peer_at = egress ? offsetof(acl_input, dst) : offsetof(acl_input, src);
    rte_acl_config cfg{};
    cfg.num_categories = 1;
    cfg.num_fields = field_count;
    cfg.defs[0] = {RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), f_proto, 0,
                   offsetof(acl_input, proto)};
    cfg.defs[1] = {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), f_subject, 1, subject_at};
    cfg.defs[2] = {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), f_peer, 2, peer_at};
    cfg.defs[3] = {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), f_sport, 3,
                   offsetof(acl_input, sport)};
    cfg.defs[4] = {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), f_dport, 3,
                   offsetof(acl_input, dport)};
    cfg.max_size = budget;
    return cfg;
}

acl4_rule make_rule(int32_t priority, uint32_t result, const v4_prefix& subject,
                    const v4_prefix& peer, const port_match& port) {
    acl4_rule r{};
    r.data.category_mask = 1;
    r.data.priority = priority;
    r.data.userdata = result;
    r.field[f_proto].value.u8 = port.proto;
    r.field[f_proto].mask_range.u8 = port.proto == any_proto ? 0 : 0xff;
    r.field[f_subject].value.u32 = subject.addr;
    r.field[f_subject].mask_range.u32 = subject.len;
    r.field[f_peer].value.u32 = peer.addr;
    r.field[f_peer].mask_range.u32 = peer.len;
    r.field[f_sport].value.u16 = 0;
    r.field[f_sport].mask_range.u16 = 65535;
    r.field[f_dport].value.u16 = port.proto == any_proto ? 0 : port.lo;
    r.field[f_dport].mask_range.u16 = port.proto == any_proto ? 65535 : port.hi;
    return r;
}

// Feeds rules to one context in chunks.
class rule_feeder {
  public:
    explicit rule_feeder(rte_acl_ctx* ctx) : _ctx(ctx) { _chunk.reserve(chunk_size); }

    bool add(const acl4_rule& r) {
        _chunk.push_back(r);
        if (_chunk.size() == chunk_size) {
            flush();
        }
        return _rc == 0;
    }
    int flush() {
        if (!_chunk.empty() && _rc == 0) {
            _rc = rte_acl_add_rules(_ctx, reinterpret_cast<const rte_acl_rule*>(_chunk.data()),
                                    static_cast<uint32_t>(_chunk.size()));
        }
        _chunk.clear();
        return _rc;
    }

  private:
    static constexpr size_t chunk_size = 65536;
    rte_acl_ctx* _ctx;
    int _rc = 0;
    std::vector<acl4_rule> _chunk;
};

// Calls add(direction, rule) for `limit` rules of the expansion spread evenly
// over it (all of them when limit >= rule_count): isolation rules of both
// sides, then the terms in policy order. A sample taken this way keeps the
// expansion's mix of isolation and allow rules, so a build of it says how
// rte_acl scales on this kind of rule set.
template <typename Add> uint64_t for_each_rule(const acl_expansion& e, uint64_t limit, Add&& add) {
    const uint64_t total = e.rule_count;
    uint64_t index = 0;
    uint64_t taken = 0;
    const auto keep = [&] {
        const bool k = limit >= total || (index + 1) * limit / total > index * limit / total;
        ++index;
        return k;
    };
    const v4_prefix any{0, 0};
    for (const auto d : {config::direction::egress, config::direction::ingress}) {
        for (const auto& s : *e.isolated[static_cast<int>(d)]) {
            if (keep()) {
                ++taken;
                add(d, make_rule(1, acl_isolated, s, any, {}));
            }
        }
    }
    for (const acl_term& t : e.terms) {
        if (limit < total && (index + t.rules()) * limit / total == index * limit / total) {
            index += t.rules(); // nothing of this term is sampled
            continue;
        }
        for (const auto& s : *t.subjects) {
            for (const auto& p : *t.peers) {
                if (keep()) {
                    ++taken;
                    add(t.dir, make_rule(2, acl_allow, s, p, t.port));
                }
            }
        }
    }
    return taken;
}

struct route {
    uint32_t addr;
    uint8_t depth;
    uint32_t identity;
};

// Calls emit(first, run_bits, true) for every maximal aligned run of 2^run_bits
// equal leaf entries of `level` (2^bits entries), and emit(i, 0, false) for
// every entry that points to a child node.
template <typename Emit> void merge_runs(const uint32_t* level, unsigned bits, Emit&& emit) {
    const auto uniform = [level](uint32_t first, uint32_t count) {
        if (level[first] & classifier::trie_child_flag) {
            return false;
        }
        for (uint32_t i = first + 1; i < first + count; ++i) {
            if (level[i] != level[first]) {
                return false;
            }
        }
        return true;
    };
    std::function<void(uint32_t, unsigned)> split = [&](uint32_t first, unsigned run_bits) {
        if (uniform(first, 1u << run_bits)) {
            emit(first, run_bits, true);
        } else if (run_bits == 0) {
            emit(first, 0, false);
        } else {
            split(first, run_bits - 1);
            split(first + (1u << (run_bits - 1)), run_bits - 1);
        }
    };
    split(0, bits);
}

} // namespace

size_t dpdk_heap_bytes() {
    size_t total = 0;
    for (unsigned i = 0; i < rte_socket_count(); ++i) {
        rte_malloc_socket_stats s{};
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &s) == 0) {
            total += s.heap_allocsz_bytes;
        }
    }
    return total;
}

acl_input to_acl_input(const classifier::flow& f) {
    acl_input in{};
    in.proto = f.proto;
    in.src = rte_cpu_to_be_32(f.src.as_v4());
    in.dst = rte_cpu_to_be_32(f.dst.as_v4());
    in.sport = rte_cpu_to_be_16(f.sport);
    in.dport = rte_cpu_to_be_16(f.dport);
    return in;
}

acl_classifier::~acl_classifier() {
    for (auto* ctx : _ctx) {
        rte_acl_free(ctx);
    }
}

acl_build_report acl_classifier::build(const acl_expansion& e, uint64_t max_rules, size_t budget) {
    acl_build_report rep;
    const uint64_t limit = max_rules == 0 ? e.rule_count : std::min(max_rules, e.rule_count);
    if (limit > UINT32_MAX / 2) {
        rep.error = "more rules than rte_acl can index";
        return rep;
    }
    uint64_t per_side[2] = {};
    for_each_rule(e, limit,
                  [&](config::direction d, const acl4_rule&) { ++per_side[static_cast<int>(d)]; });

    const size_t heap0 = dpdk_heap_bytes();
    const char* names[2] = {"bench_acl_in", "bench_acl_eg"};
    for (int d = 0; d < 2; ++d) {
        const rte_acl_param param{names[d], SOCKET_ID_ANY, RTE_ACL_RULE_SZ(field_count),
                                  static_cast<uint32_t>(std::max<uint64_t>(per_side[d], 1))};
        _ctx[d] = rte_acl_create(&param);
        if (_ctx[d] == nullptr) {
            rep.error = std::string("rte_acl_create: ") + rte_strerror(rte_errno);
            return rep;
        }
    }
    const auto t0 = clock_type::now();
    rule_feeder feed[2] = {rule_feeder(_ctx[0]), rule_feeder(_ctx[1])};
    rep.rules = for_each_rule(e, limit, [&](config::direction d, const acl4_rule& r) {
        feed[static_cast<int>(d)].add(r);
    });
    for (auto& f : feed) {
        if (int rc = f.flush(); rc != 0) {
            rep.error = std::string("rte_acl_add_rules: ") + rte_strerror(-rc);
            return rep;
        }
    }
    rep.add_ms = ms_since(t0);
    rep.rule_bytes = dpdk_heap_bytes() - heap0;

    const size_t heap1 = dpdk_heap_bytes();
    const auto t1 = clock_type::now();
    for (int d = 0; d < 2; ++d) {
        if (per_side[d] == 0) {
            rte_acl_free(_ctx[d]); // no rule on this side (a small sample): nothing to match
            _ctx[d] = nullptr;
            continue;
        }
        const rte_acl_config cfg = acl_config(static_cast<config::direction>(d), budget);
        if (int rc = rte_acl_build(_ctx[d], &cfg); rc != 0) {
            rep.build_ms = ms_since(t1);
            rep.error = std::string("rte_acl_build (") + (d == 0 ? "ingress" : "egress") +
                        "): " + rte_strerror(-rc);
            return rep;
        }
    }
    rep.build_ms = ms_since(t1);
    rep.runtime_bytes = dpdk_heap_bytes() - heap1;
    rep.ok = true;
    return rep;
}

void acl_classifier::classify(const uint8_t** data, uint8_t* allow, uint32_t n) const noexcept {
    uint32_t ingress[64] = {};
    uint32_t egress[64] = {};
    if (const auto* in = _ctx[static_cast<int>(config::direction::ingress)]; in != nullptr) {
        rte_acl_classify(in, data, ingress, n, 1);
    }
    if (const auto* eg = _ctx[static_cast<int>(config::direction::egress)]; eg != nullptr) {
        rte_acl_classify(eg, data, egress, n, 1);
    }
    for (uint32_t i = 0; i < n; ++i) {
        allow[i] = ingress[i] != acl_isolated && egress[i] != acl_isolated;
    }
}

const char* acl_classifier::algorithm() const noexcept {
    // What rte_acl would pick by default: the widest vector unit that the CPU
    // and EAL's max SIMD width (256 unless --force-max-simd-bitwidth) allow.
    static const std::pair<enum rte_acl_classify_alg, const char*> order[] = {
        {RTE_ACL_CLASSIFY_AVX512X32, "avx512x32"}, {RTE_ACL_CLASSIFY_AVX512X16, "avx512x16"},
        {RTE_ACL_CLASSIFY_AVX2, "avx2"},           {RTE_ACL_CLASSIFY_SSE, "sse"},
        {RTE_ACL_CLASSIFY_SCALAR, "scalar"},
    };
    for (const auto& [alg, name] : order) {
        bool ok = true;
        for (auto* ctx : _ctx) {
            ok = ok && (ctx == nullptr || rte_acl_set_ctx_classify(ctx, alg) == 0);
        }
        if (ok) {
            return name;
        }
    }
    return "?";
}

lpm_hash_classifier::~lpm_hash_classifier() {
    rte_lpm_free(_lpm);
    rte_hash_free(_hash);
}

lpm_hash_build_report lpm_hash_classifier::build(const classifier::tables& t) {
    lpm_hash_build_report rep;
    _t = &t;
    const size_t heap0 = dpdk_heap_bytes();
    const auto t0 = clock_type::now();

    uint32_t pods = 0;
    for (uint32_t i = 0; i <= t.pods_v4_mask; ++i) {
        pods += t.pods_v4[i].identity != classifier::empty_slot;
    }
    rte_hash_parameters hp{};
    hp.name = "bench_pods";
    hp.entries = std::max<uint32_t>(pods * 2, 64);
    hp.key_len = sizeof(uint32_t);
    hp.hash_func = rte_hash_crc;
    hp.socket_id = static_cast<int>(rte_socket_id());
    _hash = rte_hash_create(&hp);
    if (_hash == nullptr) {
        rep.error = std::string("rte_hash_create: ") + rte_strerror(rte_errno);
        return rep;
    }
    for (uint32_t i = 0; i <= t.pods_v4_mask; ++i) {
        const auto& s = t.pods_v4[i];
        if (s.identity == classifier::empty_slot) {
            continue;
        }
        const auto index = static_cast<uintptr_t>(_endpoints.size());
        _endpoints.push_back({s.identity, s.ingress, s.egress, true});
        if (int rc = rte_hash_add_key_data(_hash, &s.addr, reinterpret_cast<void*>(index));
            rc < 0) {
            rep.error = std::string("rte_hash_add_key_data: ") + rte_strerror(-rc);
            return rep;
        }
    }

    // Routes: podgate's IPv4 trie (16-8-8 strides) as prefixes, aligned runs
    // of equal leaves merged (rte_lpm_add scans the rules of a depth
    // linearly: 65536 separate /16 routes take seconds).
    std::vector<route> routes;
    uint32_t deep_nodes = 0;
    const uint32_t* trie = t.trie_v4;
    const auto node = [trie](uint32_t child) {
        return trie + (1u << classifier::trie_root_bits) +
               ((child & ~classifier::trie_child_flag) << 8);
    };
    // Entries [0, 2^bits) of `level` cover addresses from `base`, each a block
    // of 2^(32 - depth) addresses, depth = the depth of one entry.
    std::function<void(const uint32_t*, unsigned, uint32_t, uint8_t)> walk =
        [&](const uint32_t* level, unsigned bits, uint32_t base, uint8_t depth) {
            merge_runs(level, bits, [&](uint32_t first, unsigned run_bits, bool uniform) {
                const uint32_t addr = base + (depth == 32 ? first : first << (32 - depth));
                if (uniform && depth == run_bits) {
                    // rte_lpm has no /0: two /1 routes.
                    routes.push_back({0, 1, level[first]});
                    routes.push_back({0x80000000u, 1, level[first]});
                    return;
                }
                if (uniform) {
                    routes.push_back({addr, static_cast<uint8_t>(depth - run_bits), level[first]});
                    return;
                }
                // One entry with a child node of 256 below it.
                if (depth == 24) {
                    ++deep_nodes;
                }
                walk(node(level[first]), 8, addr, static_cast<uint8_t>(depth + 8));
            });
        };
    walk(trie, classifier::trie_root_bits, 0, 16);
    rte_lpm_config lc{};
    lc.max_rules = static_cast<uint32_t>(routes.size());
    lc.number_tbl8s = deep_nodes + 16;
    _lpm = rte_lpm_create("bench_lpm", static_cast<int>(rte_socket_id()), &lc);
    if (_lpm == nullptr) {
        rep.error = std::string("rte_lpm_create: ") + rte_strerror(rte_errno);
        return rep;
    }
    for (const auto& r : routes) {
        if (int rc = rte_lpm_add(_lpm, r.addr, r.depth, r.identity); rc < 0) {
            rep.error = std::string("rte_lpm_add: ") + rte_strerror(-rc);
            return rep;
        }
    }
    rep.routes = static_cast<uint32_t>(routes.size());
    rep.build_ms = ms_since(t0);
    rep.dpdk_bytes = dpdk_heap_bytes() - heap0;
    rep.podgate_bytes = t.stats.bytes_side + t.stats.bytes_rows;
    rep.ok = true;
    return rep;
}

void lpm_hash_classifier::lookup(const classifier::flow* flows, classifier::verdict* out,
                                 uint32_t n) const noexcept {
    uint32_t addrs[64];
    const void* keys[64];
    void* data[64];
    uint64_t hits = 0;
    for (uint32_t i = 0; i < n; ++i) {
        addrs[2 * i] = flows[i].src.as_v4();
        addrs[2 * i + 1] = flows[i].dst.as_v4();
        keys[2 * i] = &addrs[2 * i];
        keys[2 * i + 1] = &addrs[2 * i + 1];
    }
    rte_hash_lookup_bulk_data(_hash, keys, 2 * n, &hits, data);
    uint32_t miss_addr[64];
    uint32_t miss_hop[64];
    uint32_t misses = 0;
    for (uint32_t k = 0; k < 2 * n; ++k) {
        if (!((hits >> k) & 1)) {
            miss_addr[misses++] = addrs[k];
        }
    }
    if (misses > 0) {
        rte_lpm_lookup_bulk(_lpm, miss_addr, miss_hop, misses);
    }
    classifier::endpoint_info ends[64];
    for (uint32_t k = 0, m = 0; k < 2 * n; ++k) {
        if ((hits >> k) & 1) {
            ends[k] = _endpoints[reinterpret_cast<uintptr_t>(data[k])];
        } else {
            ends[k] = {miss_hop[m++] & 0x00ffffffu, classifier::not_isolated,
                       classifier::not_isolated, false};
        }
    }
    for (uint32_t i = 0; i < n; ++i) {
        out[i] =
            classifier::decide(*_t, ends[2 * i], ends[2 * i + 1], flows[i].proto, flows[i].dport);
    }
}

} // namespace podgate::bench
