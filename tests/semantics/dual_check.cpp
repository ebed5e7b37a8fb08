#include "tests/semantics/dual_check.hpp"

#include "classifier/lookup/lookup.hpp"
#include "classifier/reference/describe.hpp"

#include <stdexcept>

namespace podgate::test {

namespace {

classifier::reference::options reference_options(config::default_action non_pod) {
    classifier::reference::options o;
    o.non_pod_traffic = non_pod;
    return o;
}

classifier::compile_options compile_options(config::default_action non_pod) {
    classifier::compile_options o;
    o.non_pod_traffic = non_pod;
    return o;
}

ip_address address(std::string_view text) {
    auto a = parse_ip(text);
    if (!a) {
        throw std::invalid_argument("bad address in test: " + std::string(text));
    }
    return *a;
}

classifier::flow make_flow(std::string_view src, std::string_view dst, uint8_t proto,
                           uint16_t dport) {
    classifier::flow f;
    f.src = address(src);
    f.dst = address(dst);
    f.proto = proto;
    f.sport = dport == 0 ? 0 : 40000;
    f.dport = dport;
    return f;
}

} // namespace

dual_check::dual_check(const config::cluster& c, config::default_action non_pod)
    : _reference(c, reference_options(non_pod)),
      _compiled(classifier::compile(c, compile_options(non_pod))) {}

::testing::AssertionResult dual_check::operator()(const classifier::flow& f,
                                                  classifier::verdict expected) const {
    const classifier::verdict ref = _reference.evaluate(f);
    const bool ref_ok = ref == expected;
    bool compiled_ok = false;
    std::string compiled_text;
    if (_compiled) {
        const classifier::verdict got = classifier::lookup(*_compiled.value(), f);
        compiled_ok = got == expected;
        compiled_text = to_string(got);
    } else {
        compiled_text = "compile failed: " + _compiled.error();
    }
    if (ref_ok && compiled_ok) {
        return ::testing::AssertionSuccess();
    }
    auto failure = ::testing::AssertionFailure();
    failure << classifier::reference::describe(f) << ": expected " << to_string(expected) << "\n"
            << "  reference: " << to_string(ref) << (ref_ok ? "" : "   <-- disagrees") << "\n"
            << "  compiled:  " << compiled_text << (compiled_ok ? "" : "   <-- disagrees") << "\n"
            << "reference explanation:\n"
            << _reference.explain(f);
    return failure;
}

std::string to_string(const classifier::verdict& v) {
    return std::string(v.allow ? "allow" : "deny") + " (" + classifier::to_string(v.reason) + ")";
}

classifier::flow tcp(std::string_view src, std::string_view dst, uint16_t dport) {
    return make_flow(src, dst, 6, dport);
}

classifier::flow udp(std::string_view src, std::string_view dst, uint16_t dport) {
    return make_flow(src, dst, 17, dport);
}

classifier::flow sctp(std::string_view src, std::string_view dst, uint16_t dport) {
    return make_flow(src, dst, 132, dport);
}

classifier::flow icmp(std::string_view src, std::string_view dst) {
    const bool v6 = src.find(':') != std::string_view::npos;
    return make_flow(src, dst, v6 ? config::ipproto_icmpv6 : config::ipproto_icmp, 0);
}

classifier::flow other_protocol(std::string_view src, std::string_view dst, uint8_t proto) {
    return make_flow(src, dst, proto, 0);
}

config::cluster load_yaml(std::string_view text, std::string_view file_name) {
    config::load_result r = config::load_manifest_text(text, file_name);
    for (const auto& e : r.errors) {
        ADD_FAILURE() << "loader error: " << e.to_string();
    }
    if (!r.ok()) {
        return {};
    }
    return std::move(r.objects);
}

} // namespace podgate::test
