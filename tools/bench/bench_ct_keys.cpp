// bench_ct_keys: what the conntrack key costs. podgate keys every flow with
// a 48-byte ct_key (two u128 addresses, ports, protocol, family, padding) in
// an rte_hash; callgrind puts rte_hash_lookup_bulk at about a quarter of
// podgate's instructions per packet. This times rte_hash_lookup_bulk over the
// same flows with the 48-byte key and with a 16-byte IPv4 key (addresses,
// ports, protocol: what an IPv4-only table would hold), in bursts of 32, on
// tables of podgate's default capacity.
//
//   bench_ct_keys [--flows 100000] [--capacity 1048576] [--runs 5] [--eal "ARGS"]
//
// Built, never registered as a test.

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct alignas(16) key48 { // the layout of pipeline/conntrack ct_key
    uint64_t lo[2];
    uint64_t hi[2];
    uint16_t lo_port;
    uint16_t hi_port;
    uint8_t proto;
    uint8_t family;
    uint8_t pad[10];
};
static_assert(sizeof(key48) == 48);

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

template <typename Key>
double measure(const std::vector<Key>& keys, const std::vector<uint32_t>& order, uint32_t capacity, int runs,
               const char* name) {
    rte_hash_parameters p{};
    p.name = name;
    p.entries = capacity;
    p.key_len = sizeof(Key);
    p.hash_func = rte_hash_crc;
    p.socket_id = 0;
    rte_hash* h = rte_hash_create(&p);
    if (h == nullptr) {
        std::fprintf(stderr, "rte_hash_create: %s\n", rte_strerror(rte_errno));
        return -1;
    }
    for (const auto& k : keys) {
        rte_hash_add_key(h, &k);
    }
    std::vector<double> ns;
    int32_t positions[32];
    const void* ptrs[32];
    int64_t sink = 0;
    for (int r = 0; r <= runs; ++r) {
        const double t0 = cpu_ns();
        for (size_t b = 0; b + 32 <= order.size(); b += 32) {
            for (int i = 0; i < 32; ++i) {
                ptrs[i] = &keys[order[b + i]];
            }
            rte_hash_lookup_bulk(h, ptrs, 32, positions);
            sink += positions[0];
        }
        if (r > 0) { // the first pass warms up
            ns.push_back((cpu_ns() - t0) / static_cast<double>(order.size() / 32 * 32));
        }
    }
    rte_hash_free(h);
    std::sort(ns.begin(), ns.end());
    if (sink == 42) {
        std::puts("");
    }
    return ns[ns.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    uint32_t flows = 100000;
    uint32_t capacity = 1u << 20;
    int runs = 5;
    std::string eal = "--no-huge -m 1024 --no-pci --no-telemetry -l 0 --log-level=*:error";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const std::string v = argv[i + 1];
        if (a == "--flows") {
            flows = static_cast<uint32_t>(std::stoul(v));
        } else if (a == "--capacity") {
            capacity = static_cast<uint32_t>(std::stoul(v));
        } else if (a == "--runs") {
            runs = std::stoi(v);
        } else if (a == "--eal") {
            eal = v;
        } else {
            std::fprintf(stderr, "usage: bench_ct_keys [--flows N] [--capacity N] [--runs R] [--eal ARGS]\n");
            return 2;
        }
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
    std::vector<key48> k48(flows);
    std::vector<key16> k16(flows);
    for (uint32_t i = 0; i < flows; ++i) {
        const uint32_t a = 0x0a000000u | static_cast<uint32_t>(rng() & 0xffffff);
        const uint32_t b = 0x0a000000u | static_cast<uint32_t>(rng() & 0xffffff);
        const auto sp = static_cast<uint16_t>(32768 + rng() % 28000);
        const auto dp = static_cast<uint16_t>(rng() % 65536);
        k48[i] = key48{{std::min(a, b), 0}, {std::max(a, b), 0}, sp, dp, 6, 4, {}};
        k16[i] = key16{std::min(a, b), std::max(a, b), sp, dp, 6, {}};
    }
    std::vector<uint32_t> order(flows * 4u);
    for (auto& o : order) {
        o = static_cast<uint32_t>(rng() % flows);
    }
    const double ns48 = measure(k48, order, capacity, runs, "ct_keys48");
    const double ns16 = measure(k16, order, capacity, runs, "ct_keys16");
    std::printf("rte_hash_lookup_bulk, %u flows in a table of %u, bursts of 32, CPU time, median of %d:\n", flows,
                capacity, runs);
    std::printf("  48-byte key (podgate's ct_key): %6.1f ns per lookup\n", ns48);
    std::printf("  16-byte IPv4 key:               %6.1f ns per lookup (%.0f%% of the 48-byte key)\n", ns16,
                100 * ns16 / ns48);
    rte_eal_cleanup();
    std::error_code ignored; // EAL leaves its runtime directory behind
    std::filesystem::remove_all("/var/run/dpdk/bench_ct_keys_" + std::to_string(getpid()), ignored);
    return 0;
}
