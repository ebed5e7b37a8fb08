// bench_ct_keys: what a conntrack hit costs, apart from the rest of the
// pipeline. Over the same flows, in bursts of 32, on tables of podgate's
// default capacity, CPU time per packet of:
//   - podgate's conntrack (pipeline/conntrack): lookup_bulk, then touch of
//     every hit, as process_burst does;
//   - rte_hash_lookup_bulk and the same two stamps in an entry array
//     indexed by position (the baseline: podgate's first conntrack), with
//     podgate's key layout and with a 16-byte IPv4 key (addresses, ports,
//     protocol: what an IPv4-only table would hold).
// Keys are looked up in random order, so with 100k flows or more every
// lookup misses the caches as a conntrack hit does at line rate.
//
//   bench_ct_keys [--flows 100000] [--capacity 1048576] [--runs 5] [--eal "ARGS"]
//
// Built, never registered as a test.

#include "pipeline/conntrack/conntrack.hpp"

#include <CLI/CLI.hpp>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using podgate::pipeline::ct_key;

struct key16 {
    uint32_t lo;
    uint32_t hi;
    uint16_t lo_port;
    uint16_t hi_port;
    uint8_t proto;
    uint8_t pad[3];
};
static_assert(sizeof(key16) == 16);

double cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Median CPU ns per lookup over `runs` passes (after one warm-up pass) of
// `order`, in bursts of 32: `burst(keys, flows, run)` looks up the 32 keys
// and returns how many missed (every key was added, so none may).
template <typename Key, typename Burst>
double median_ns_per_lookup(const std::vector<Key>& keys, const std::vector<uint32_t>& order,
                            int runs, const char* name, Burst burst) {
    std::vector<double> ns;
    const Key* ptrs[32];
    uint64_t misses = 0;
    for (int r = 0; r <= runs; ++r) {
        const double t0 = cpu_ns();
        for (size_t b = 0; b + 32 <= order.size(); b += 32) {
            for (int i = 0; i < 32; ++i) {
                ptrs[i] = &keys[order[b + i]];
            }
            misses += burst(ptrs, &order[b], static_cast<uint64_t>(r));
        }
        if (r > 0) {
            ns.push_back((cpu_ns() - t0) / static_cast<double>(order.size() / 32 * 32));
        }
    }
    if (misses != 0) {
        std::fprintf(stderr, "%s: %lu lookups of added flows missed\n", name,
                     static_cast<unsigned long>(misses));
        return -1;
    }
    std::sort(ns.begin(), ns.end());
    return ns[ns.size() / 2];
}

// What an entry array beside an rte_hash holds per flow (podgate's first
// conntrack: the entry indexed by the key's position).
struct side_entry {
    uint64_t expires_tsc;
    uint64_t last_seen_tsc;
    uint64_t generation;
    uint64_t timeout_tsc;
    uint32_t flags;
};

// rte_hash_lookup_bulk, then the same refresh of each hit's entry as
// podgate's touch (two stamps), in an entry array indexed by position.
template <typename Key>
double measure(const std::vector<Key>& keys, const std::vector<uint32_t>& order, uint32_t capacity,
               int runs, const char* name) {
    // From EAL memory, as podgate's tables are: hugepages when EAL has them.
    auto* entries =
        static_cast<side_entry*>(rte_zmalloc("ct_keys_entries", sizeof(side_entry) * capacity, 64));
    if (entries == nullptr) {
        std::fprintf(stderr, "%s: cannot allocate the entry array\n", name);
        return -1;
    }
    for (uint32_t i = 0; i < capacity; ++i) {
        entries[i] = side_entry{0, 0, 1, 3600, 1};
    }
    rte_hash_parameters p{};
    p.name = name;
    p.entries = capacity;
    p.key_len = sizeof(Key);
    p.hash_func = rte_hash_crc;
    p.socket_id = 0;
    rte_hash* h = rte_hash_create(&p);
    if (h == nullptr) {
        std::fprintf(stderr, "rte_hash_create: %s\n", rte_strerror(rte_errno));
        rte_free(entries);
        return -1;
    }
    for (const auto& k : keys) {
        if (rte_hash_add_key(h, &k) < 0) {
            std::fprintf(stderr, "%s: rte_hash_add_key failed\n", name);
            rte_hash_free(h);
            rte_free(entries);
            return -1;
        }
    }
    const double ns = median_ns_per_lookup(
        keys, order, runs, name, [&](const Key** ptrs, const uint32_t*, uint64_t now) {
            int32_t positions[32];
            rte_hash_lookup_bulk(h, reinterpret_cast<const void**>(ptrs), 32, positions);
            uint32_t misses = 0;
            for (int i = 0; i < 32; ++i) {
                if (positions[i] >= 0) [[likely]] {
                    side_entry& e = entries[static_cast<uint32_t>(positions[i])];
                    e.last_seen_tsc = now;
                    e.expires_tsc = now + e.timeout_tsc;
                } else {
                    ++misses;
                }
            }
            return misses;
        });
    rte_hash_free(h);
    rte_free(entries);
    return ns;
}

// podgate's conntrack: the same keys, created as TCP flows, then looked up
// in bursts and every hit touched.
double measure_podgate(const std::vector<ct_key>& keys,
                       const std::vector<podgate::pipeline::parsed_packet>& packets,
                       const std::vector<bool>& lo_to_hi, const std::vector<uint32_t>& order,
                       uint32_t capacity, int runs) {
    using namespace podgate::pipeline;
    ct_config cfg;
    cfg.capacity = capacity;
    auto created = conntrack::create(cfg, 0);
    if (!created) {
        std::fprintf(stderr, "conntrack: %s\n", created.error().c_str());
        return -1;
    }
    auto ct = std::move(*created);
    for (size_t i = 0; i < keys.size(); ++i) {
        bool evicted = false;
        if (ct->create(keys[i], packets[i], lo_to_hi[i], 1, 1, evicted) < 0) {
            std::fprintf(stderr, "conntrack full at %zu flows\n", i);
            return -1;
        }
    }
    // By value: a pointer the touches could alias would be reloaded per packet.
    conntrack* const table = ct.get();
    return median_ns_per_lookup(
        keys, order, runs, "conntrack",
        [table, &packets, &lo_to_hi](const ct_key** ptrs, const uint32_t* flows, uint64_t now) {
            int32_t positions[32];
            table->lookup_bulk(ptrs, 32, positions);
            uint32_t misses = 0;
            for (int i = 0; i < 32; ++i) {
                if (positions[i] >= 0) [[likely]] {
                    table->touch(positions[i], packets[flows[i]], lo_to_hi[flows[i]], now);
                } else {
                    ++misses;
                }
            }
            return misses;
        });
}

} // namespace

int main(int argc, char** argv) {
    uint32_t flows = 100000;
    uint32_t capacity = 1u << 20;
    int runs = 5;
    std::string eal = "--no-huge -m 1024 --no-pci --no-telemetry -l 0 --log-level=*:error";
    CLI::App app{
        "bench_ct_keys: one conntrack hit, podgate's table against rte_hash + an entry array"};
    app.add_option("--flows", flows, "flows inserted and looked up")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--capacity", capacity, "table capacity")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--runs", runs, "timed passes (median)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--eal", eal, "EAL arguments")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    std::vector<std::string> words{"bench_ct_keys"};
    std::stringstream ss(eal);
    for (std::string w; ss >> w;) {
        words.push_back(w);
    }
    words.push_back("--file-prefix=bench_ct_keys_" + std::to_string(getpid()));
    std::vector<char*> args;
    for (auto& w : words) {
        args.push_back(w.data());
    }
    if (rte_eal_init(static_cast<int>(args.size()), args.data()) < 0) {
        std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    std::mt19937_64 rng(1);
    // Random flows; a repeated 5-tuple would be one entry, not two, so the
    // run is refused below if any repeats.
    std::vector<podgate::pipeline::parsed_packet> packets;
    std::vector<ct_key> keys;
    std::vector<bool> lo_to_hi;
    std::vector<key16> k16;
    std::vector<uint64_t> seen;
    for (uint32_t i = 0; i < flows; ++i) {
        podgate::pipeline::parsed_packet p;
        p.family = podgate::ip_family::v4;
        p.l4_proto = 6;
        p.src = 0x0a000000u | static_cast<uint32_t>(rng() & 0xffffff);
        p.dst = 0x0a000000u | static_cast<uint32_t>(rng() & 0xffffff);
        p.sport = static_cast<uint16_t>(32768 + rng() % 28000);
        p.dport = static_cast<uint16_t>(rng() % 65536);
        p.has_ports = true;
        p.has_l4 = true;
        p.tcp_flags = 0x10; // ACK: an established flow
        bool forward = false;
        const ct_key k = podgate::pipeline::make_ct_key(p, forward);
        packets.push_back(p);
        keys.push_back(k);
        lo_to_hi.push_back(forward);
        const auto lo = static_cast<uint32_t>(forward ? p.src : p.dst);
        const auto hi = static_cast<uint32_t>(forward ? p.dst : p.src);
        k16.push_back(key16{lo, hi, k.lo_port, k.hi_port, 6, {}});
        seen.push_back(uint64_t{lo} << 32 ^ hi ^ uint64_t{k.lo_port} << 16 ^ k.hi_port);
    }
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) {
        std::fprintf(stderr, "repeated flows in the input; use another --flows\n");
        return 1;
    }
    std::vector<uint32_t> order(flows * 4u);
    for (auto& o : order) {
        o = static_cast<uint32_t>(rng() % flows);
    }
    const double ns_podgate = measure_podgate(keys, packets, lo_to_hi, order, capacity, runs);
    const double ns_key = measure(keys, order, capacity, runs, "ct_keys_ct");
    const double ns16 = measure(k16, order, capacity, runs, "ct_keys16");
    if (ns_podgate < 0 || ns_key < 0 || ns16 < 0) {
        return 1;
    }
    std::printf("%u flows in a table of %u, random order, bursts of 32, CPU time per packet, "
                "median of %d:\n",
                flows, capacity, runs);
    std::printf("  podgate conntrack, lookup + touch (%zu-byte key): %6.1f ns (%.2fx the rte_hash "
                "baseline)\n",
                sizeof(ct_key), ns_podgate, ns_podgate / ns_key);
    std::printf("  rte_hash + entry array, the same %zu-byte key:    %6.1f ns (baseline)\n",
                sizeof(ct_key), ns_key);
    std::printf("  rte_hash + entry array, 16-byte IPv4 key:        %6.1f ns (%.2fx)\n", ns16,
                ns16 / ns_key);
    rte_eal_cleanup();
    std::error_code ignored; // EAL leaves its runtime directory behind
    std::filesystem::remove_all("/var/run/dpdk/bench_ct_keys_" + std::to_string(getpid()), ignored);
    return 0;
}
