"""Starting podgate and dpdk-testpmd, reading telemetry and /metrics, and
building inputs: shared by tools/bench and the func, live and e2e suites
(see ../README.md)."""
