"""What only the benchmarks need: cached inputs, mbuf and memory sizing,
hugepages (processes and telemetry: tools/harness/podgate_harness)."""
