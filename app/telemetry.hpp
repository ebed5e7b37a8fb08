#pragma once
// The control interface over DPDK telemetry, so dpdk-telemetry.py and any
// client of /var/run/dpdk/<prefix>/dpdk_telemetry.v2 work:
//   /podgate/stats            counters (rx, tx, drops by reason, conntrack, ports, lcores)
//   /podgate/policy           generation, compile statistics, last reload result and errors
//   /podgate/reload           reload now; answers with /podgate/policy after it
//   /podgate/conntrack        occupancy, entries per state, events
//   /podgate/verdict,<flow>   what the live tables say for "PROTO SRC SPORT DST DPORT"
// Nested documents are flattened to dotted keys ("dropped.policy-ingress").
// Callbacks run on DPDK's telemetry threads; they read atomics, the status
// under its mutex, and the live tables as a registered RCU reader.

#include "app/daemon.hpp"

namespace podgate::app {

// Registers the commands; `a` must outlive EAL. Call after EAL init.
void register_telemetry(appliance& a);

} // namespace podgate::app
