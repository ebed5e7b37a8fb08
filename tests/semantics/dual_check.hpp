#pragma once
// Every semantics case is asked of both engines: the reference evaluator and
// the compiled tables (classifier::compile + classifier::lookup). A case
// passes only when both give the expected verdict; the failure message names
// the engine that disagreed and carries the reference's explanation.

#include "classifier/compile/compiler.hpp"
#include "classifier/reference/evaluator.hpp"
#include "config/cluster.hpp"
#include "config/manifest_loader.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace podgate::test {

class dual_check {
  public:
    // Keeps a reference to `c` (the evaluator does): build the cluster first.
    explicit dual_check(const config::cluster& c,
                        config::default_action non_pod = config::default_action::allow);

    ::testing::AssertionResult operator()(const classifier::flow& f,
                                          classifier::verdict expected) const;

    // Null when compile failed; compile_error() says why.
    const classifier::tables* tables() const {
        return _compiled ? _compiled.value().get() : nullptr;
    }
    const std::string& compile_error() const { return _compiled.error(); }
    const classifier::reference::evaluator& reference() const { return _reference; }

  private:
    classifier::reference::evaluator _reference;
    classifier::compile_result _compiled;
};

// Expected verdicts.
inline classifier::verdict allowed() {
    return {true, classifier::verdict_reason::allowed};
}
inline classifier::verdict ingress_denied() {
    return {false, classifier::verdict_reason::policy_ingress};
}
inline classifier::verdict egress_denied() {
    return {false, classifier::verdict_reason::policy_egress};
}
inline classifier::verdict non_pod_allowed() {
    return {true, classifier::verdict_reason::non_pod_allowed};
}
inline classifier::verdict non_pod_denied() {
    return {false, classifier::verdict_reason::non_pod_denied};
}

std::string to_string(const classifier::verdict& v);

// Flows. `src`/`dst` are textual addresses; source port 40000.
classifier::flow tcp(std::string_view src, std::string_view dst, uint16_t dport);
classifier::flow udp(std::string_view src, std::string_view dst, uint16_t dport);
classifier::flow sctp(std::string_view src, std::string_view dst, uint16_t dport);
// ICMP for IPv4 sources, ICMPv6 for IPv6 ones (no ports).
classifier::flow icmp(std::string_view src, std::string_view dst);
classifier::flow other_protocol(std::string_view src, std::string_view dst, uint8_t proto);

// Loads YAML through the product loader; fails the test (and returns an empty
// cluster) when the loader reports errors.
config::cluster load_yaml(std::string_view text, std::string_view file_name = "inline.yaml");

} // namespace podgate::test
