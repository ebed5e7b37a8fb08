#pragma once
// The compile statistics of a table set as JSON, in one shape for every
// reader: the daemon's /podgate/policy and stats JSON ("tables"),
// `podgate-policy check --json` and the compile benchmark.

#include "classifier/tables/tables.hpp"

#include <nlohmann/json.hpp>

namespace podgate::classifier {

// {"pods" (endpoint pods), "pod_addresses", "policies", "peers", "identities",
//  "ingress_groups", "egress_groups", "port_segments", "rows", "trie_nodes_v4",
//  "trie_nodes_v6", "attribution_pairs", "attribution_tables", "bytes" (total),
//  "bytes_pod_tables", "bytes_tries", "bytes_sides", "bytes_rows",
//  "bytes_attribution", "compile_ms", "incremental"}
nlohmann::json to_json(const table_stats& s);

} // namespace podgate::classifier
