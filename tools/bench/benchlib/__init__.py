"""Helpers for pipeline_vs_testpmd.py: inputs, DPDK telemetry, processes."""
