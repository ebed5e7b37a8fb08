// Broken, hostile and mutated input: always diagnostics, never a crash, a
// hang or an object that breaks the invariants the compiler relies on.

#include "loader_test.hpp"

#include <pthread.h>

#include <random>

namespace podgate::config::test {
namespace {

using strings = std::vector<std::string>;

std::string repeat(std::string_view s, size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (size_t i = 0; i < n; ++i) {
        out += s;
    }
    return out;
}

std::string random_bytes(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (auto& c : out) {
        c = static_cast<char>(rng() & 0xff);
    }
    return out;
}

// What every accepted object must satisfy, whatever the input was.
void expect_invariants(const load_result& r, const std::string& context) {
    for (const auto& d : r.errors) {
        EXPECT_FALSE(d.file.empty()) << context;
        EXPECT_FALSE(d.message.empty()) << context;
        EXPECT_GE(d.line, 0) << context;
    }
    for (const auto& p : r.objects.pods) {
        EXPECT_FALSE(p.name.empty()) << context;
        EXPECT_FALSE(p.ns.empty()) << context;
        EXPECT_LE(p.ips.size(), 2u) << context;
        for (const auto& cp : p.ports) {
            EXPECT_GE(cp.number, 1) << context;
        }
    }
    for (const auto& np : r.objects.policies) {
        EXPECT_FALSE(np.name.empty()) << context;
        EXPECT_TRUE(np.affects_ingress || np.affects_egress) << context;
        for (const auto* rules : {&np.ingress, &np.egress}) {
            for (const auto& rule : *rules) {
                for (const auto& port : rule.ports) {
                    if (port.what == port_rule::kind::number) {
                        EXPECT_GE(port.port, 1) << context;
                        EXPECT_LE(port.port, port.end_port) << context;
                    }
                    if (port.what == port_rule::kind::named) {
                        EXPECT_FALSE(port.name.empty()) << context;
                    }
                }
                for (const auto& peer : rule.peers) {
                    EXPECT_TRUE(peer.block.has_value() !=
                                (peer.pod_selector || peer.namespace_selector))
                        << context;
                    if (peer.block) {
                        for (const auto& e : peer.block->except) {
                            EXPECT_TRUE(peer.block->cidr.contains(e) &&
                                        e.length > peer.block->cidr.length)
                                << context;
                        }
                    }
                }
            }
        }
    }
}

TEST(LoaderRobustness, BrokenInputsAreErrors) {
    const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n";
    const std::string np =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"empty", ""},
        {"whitespace", " \n\t\n"},
        {"garbage", random_bytes(4096, 1)},
        {"garbage 2", random_bytes(65536, 2)},
        {"binary", std::string("\x00\x01\x02\xff\xfe\x00", 6)},
        {"nul inside",
         std::string("apiVersion: v1\nkind: Pod\nmeta\0data: {name: a}\n", 44) + "\0"},
        {"utf-16 bom", "\xFF\xFE"
                       "a\0p\0i\0"},
        {"invalid utf-8", pod + "  labels: {a: \"\xC3\x28\xA0\xA1\"}\n"},
        {"truncated flow", "apiVersion: v1\nkind: Pod\nmetadata: {name: a"},
        {"truncated quote", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a"},
        {"truncated json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": "},
        {"json bad escape", "{\"kind\": \"P\\qod\"}"},
        {"json lone brace", "{"},
        {"lone bracket", "["},
        {"bad indentation", "apiVersion: v1\n kind: Pod\nmetadata: {name: a}\n"},
        {"tab indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n"},
        {"mapping in scalar", "a: b: c\n"},
        {"lone comma (yaml-cpp#1040 loops)", ",\n"},
        {"comma after a document", pod + "---\n,apiVersion: v1\n"},
        {"undefined alias", pod + "spec: *nowhere\n"},
        {"recursive alias", np + "spec: &s {podSelector: {}, ingress: [{from: [*s]}]}\n"},
        {"self alias", "&a [*a]\n"},
        {"huge port", np + "spec: {podSelector: {}, ingress: [{ports: [{port: 1e400}]}]}\n"},
        {"huge container port",
         pod + "spec: {containers: [{ports: [{containerPort: 18446744073709551617}]}]}\n"},
        {"huge endPort", np + "spec: {podSelector: {}, ingress: [{ports: [{port: 1, endPort: " +
                             std::string(400, '9') + "}]}]}\n"},
        {"huge line number", repeat("\n", 100000) + "[oops"},
        {"deep flow", repeat("[", 100000)},
        {"deep flow closed", repeat("[", 5000) + repeat("]", 5000)},
        {"deep braces", repeat("{a: ", 100000)},
        {"deep json", repeat("{\"a\":", 100000) + "1" + repeat("}", 100000)},
        {"deep json arrays", repeat("[", 1000000)},
        {"deep dashes", repeat("- ", 100000) + "x\n"},
        {"deep block maps",
         [] {
             std::string s;
             for (int i = 0; i < 2000; ++i) {
                 s += std::string(static_cast<size_t>(i), ' ') + "k:\n";
             }
             return s;
         }()},
        {"deep in a policy",
         np + "spec: {podSelector: " + repeat("{a: ", 300) + "1" + repeat("}", 300) + "}\n"},
        {"many documents", repeat("---\n", 100000)},
        {"Lists in Lists", repeat("{apiVersion: v1, kind: List, items: [", 12) + repeat("]}", 12)},
        {"wrong types", np + "spec: {podSelector: 1, policyTypes: {}, ingress: 2, egress: [[], 3, "
                             "{to: 4, ports: 5}]}\n"},
        {"everything a list", "apiVersion: []\nkind: []\nmetadata: []\nspec: []\nstatus: []\n"},
        {"long scalar key",
         pod + "spec: {" + std::string(1 << 20, 'k') + ": 1, hostNetwork: maybe}\n"},
    };
    for (const auto& [name, text] : cases) {
        const auto r = load_manifest_text(text, "t.yaml");
        EXPECT_FALSE(r.ok()) << name;
        for (const auto& d : r.errors) {
            EXPECT_EQ(d.file, "t.yaml") << name;
        }
        expect_invariants(r, name);
    }
}

TEST(LoaderRobustness, DeepNestingIsRejectedWithAClearError) {
    EXPECT_EQ(errors_of(repeat("[", 100000)), strings{"t.yaml:1: nested deeper than 256 levels"});
    EXPECT_EQ(errors_of(repeat("- ", 100000)), strings{"t.yaml:1: nested deeper than 256 levels"});
    EXPECT_EQ(errors_of("{\"a\":\n" + repeat("[", 100000)),
              strings{"t.yaml:2: nested deeper than 256 levels"});
    std::string block;
    for (int i = 0; i < 300; ++i) {
        block += std::string(static_cast<size_t>(i), ' ') + "k:\n";
    }
    EXPECT_EQ(errors_of(block), strings{"t.yaml:257: nested deeper than 256 levels"});
    // 200 levels is deep but allowed: the only complaint is the missing kind.
    EXPECT_EQ(errors_of("a: " + repeat("[", 200) + repeat("]", 200) + "\n"),
              strings{"t.yaml:1: kind: required value"});
}

// yaml-cpp parses by recursion; the depth limit must hold it well inside a
// thread stack far smaller than the 8 MiB default.
TEST(LoaderRobustness, DeepNestingIsSafeOnASmallStack) {
    struct job {
        std::vector<std::string> inputs;
        size_t errors = 0;
    } j;
    j.inputs = {repeat("[", 100000), repeat("- ", 100000), repeat("{a: ", 100000),
                repeat("{\"a\":", 100000), repeat("[", 255) + repeat("]", 255)};
    pthread_attr_t attr;
    ASSERT_EQ(pthread_attr_init(&attr), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attr, 512 * 1024), 0);
    pthread_t thread;
    ASSERT_EQ(pthread_create(
                  &thread, &attr,
                  [](void* arg) -> void* {
                      auto* jb = static_cast<job*>(arg);
                      for (const auto& in : jb->inputs) {
                          jb->errors += load_manifest_text(in, "t.yaml").errors.size();
                      }
                      return nullptr;
                  },
                  &j),
              0);
    ASSERT_EQ(pthread_join(thread, nullptr), 0);
    pthread_attr_destroy(&attr);
    EXPECT_EQ(j.errors, j.inputs.size());
}

TEST(LoaderRobustness, AliasBombsAreCutShort) {
    // Four levels of 1000 aliases: 10^12 values if followed naively.
    std::string text =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bomb}\n";
    text += "v: &v [" + repeat("a, ", 999) + "a]\n";
    text += "e: &e [" + repeat("{key: k, operator: In, values: *v}, ", 999) +
            "{key: k, operator: In, values: *v}]\n";
    text += "p: &p [" + repeat("{podSelector: {matchExpressions: *e}}, ", 999) +
            "{podSelector: {matchExpressions: *e}}]\n";
    text += "r: &r [" + repeat("{from: *p}, ", 999) + "{from: *p}]\n";
    text += "spec: {podSelector: {}, ingress: *r}\n";
    const auto r = load_manifest_text(text, "t.yaml");
    // One error, not a flood of consequences.
    ASSERT_EQ(r.errors.size(), 1u) << joined(r.errors);
    EXPECT_EQ(r.errors[0].object, "NetworkPolicy default/bomb");
    EXPECT_EQ(r.errors[0].field.rfind("spec.ingress[0].from[0].podSelector.matchExpressions[", 0),
              0u);
    EXPECT_EQ(r.errors[0].message,
              "aliases expand to more data than the file holds; giving up on this file");
    EXPECT_TRUE(r.objects.policies.empty());
}

TEST(LoaderRobustness, TruncatedFixturesNeverCrash) {
    for (const char* name : {"kubectl_get_all.yaml", "kubectl_get_all.json"}) {
        const std::string full = read_data(name);
        ASSERT_GT(full.size(), 1000u);
        size_t failed = 0;
        for (size_t cut = 0; cut < full.size(); cut += 97) {
            const auto r = load_manifest_text(std::string_view(full).substr(0, cut), name);
            failed += r.ok() ? 0 : 1;
            expect_invariants(r, std::string(name) + " cut at " + std::to_string(cut));
        }
        EXPECT_GT(failed, 0u) << name;
    }
}

TEST(LoaderRobustness, MutatedFixturesKeepTheInvariants) {
    const std::vector<std::string> splices = {
        "[",  "]", "{",     "}",    ":", ": ", "- ",    "&a ", "*a",  "\"",      "'", "\n",
        "\t", "#", "---\n", "null", "~", "-1", "99999", "0",   "\\u", {"\0", 1}, ","};
    std::mt19937 rng(12345);
    for (const char* name : {"kubectl_get_all.yaml", "kubectl_get_all.json"}) {
        const std::string full = read_data(name);
        size_t failed = 0;
        for (int round = 0; round < 800; ++round) {
            std::string text = full;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits && !text.empty(); ++e) {
                const size_t at = rng() % text.size();
                switch (rng() % 4) {
                case 0:
                    text[at] = static_cast<char>(rng() & 0xff);
                    break;
                case 1:
                    text.erase(at, 1 + rng() % 64);
                    break;
                case 2:
                    text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 64));
                    break;
                default: {
                    text.insert(at, splices[rng() % splices.size()]);
                }
                }
            }
            const auto r = load_manifest_text(text, name);
            failed += r.ok() ? 0 : 1;
            expect_invariants(r, std::string(name) + " round " + std::to_string(round));
        }
        EXPECT_GT(failed, 50u) << name; // the mutations do reach the validation
    }
}

} // namespace
} // namespace podgate::config::test
