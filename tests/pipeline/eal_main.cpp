// main() of the pipeline test binaries: EAL starts once per process (a second
// rte_eal_init fails), before any test, with this binary's own file prefix
// (PIPETEST_FILE_PREFIX) and lcores (PIPETEST_LCORES), then one mbuf pool.
#include "tests/pipeline/data_plane.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const char* eal_args[] = {argv[0],         "--no-huge",     "--no-pci",           "-m",
                              "512",           "--file-prefix", PIPETEST_FILE_PREFIX, "-l",
                              PIPETEST_LCORES, "--log-level",   "lib.*:error"};
    int eal_argc = static_cast<int>(std::size(eal_args));
    if (rte_eal_init(eal_argc, const_cast<char**>(eal_args)) < 0) {
        std::fprintf(stderr, "cannot initialise EAL: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    rte_mempool* pool = rte_pktmbuf_pool_create("pipetest_pool", 8191, 256, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (pool == nullptr) {
        std::fprintf(stderr, "cannot create the mbuf pool: %s\n", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return 1;
    }
    podgate::pipetest::set_mbuf_pool(pool);
    const int rc = RUN_ALL_TESTS();
    rte_mempool_free(pool);
    rte_eal_cleanup();
    return rc;
}
