#include "classifier/compile/stats_json.hpp"

namespace podgate::classifier {

nlohmann::json to_json(const table_stats& s) {
    return {{"pods", s.pods},
            {"pod_addresses", s.pod_addresses},
            {"policies", s.policies},
            {"peers", s.peers},
            {"identities", s.identities},
            {"ingress_groups", s.ingress_groups},
            {"egress_groups", s.egress_groups},
            {"port_segments", s.segments},
            {"rows", s.rows},
            {"trie_nodes_v4", s.trie_nodes_v4},
            {"trie_nodes_v6", s.trie_nodes_v6},
            {"attribution_pairs", s.attribution_pairs},
            {"attribution_tables", s.attribution_tables},
            {"bytes", s.bytes_total},
            {"bytes_pod_tables", s.bytes_pod_tables},
            {"bytes_tries", s.bytes_tries},
            {"bytes_sides", s.bytes_side},
            {"bytes_rows", s.bytes_rows},
            {"bytes_attribution", s.bytes_attribution},
            {"compile_ms", s.compile_ms},
            {"incremental", s.incremental}};
}

} // namespace podgate::classifier
