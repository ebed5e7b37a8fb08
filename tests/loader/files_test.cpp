// Files, directories and stream shapes: multi-document YAML, Lists, JSON,
// and the kubectl fixtures under data/.

#include "loader_test.hpp"

#include <unistd.h>

namespace podgate::config::test {
namespace {

using strings = std::vector<std::string>;

std::string pod_yaml(std::string_view name, std::string_view ns = "default") {
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + std::string(name) +
           "\n  namespace: " + std::string(ns) + "\n";
}

std::vector<std::string> pod_names(const cluster& c) {
    std::vector<std::string> names;
    for (const auto& p : c.pods) {
        names.push_back(p.name);
    }
    return names;
}

TEST(LoaderFiles, DirectoriesAreReadRecursivelyInSortedOrder) {
    temp_dir dir;
    dir.write("b.yaml", pod_yaml("b"));
    dir.write("a/z.yml", pod_yaml("a-z"));
    dir.write("a/deeper/x.json",
              R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a-deeper-x"}})");
    dir.write("c.json", R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c"}})");
    dir.write("a/m.yaml", pod_yaml("a-m"));
    const auto r = load_manifests({dir.path().string()});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    // Path order: "a/deeper/x.json" < "a/m.yaml" < "a/z.yml" < "b.yaml" < "c.json".
    EXPECT_EQ(pod_names(r.objects), (strings{"a-deeper-x", "a-m", "a-z", "b", "c"}));
    EXPECT_EQ(r.objects.pods[3].where.file, (dir.path() / "b.yaml").string());
    EXPECT_EQ(r.objects.pods[3].where.line, 1);
    // Sealed for the incremental compiler's diff, both entry points.
    EXPECT_TRUE(r.objects.packed_pods.covers(5));
    EXPECT_TRUE(r.objects.packed_policies.covers(0));
    const auto text = load_manifest_text(pod_yaml("d"), "d.yaml");
    ASSERT_TRUE(text.ok()) << joined(text.errors);
    EXPECT_TRUE(text.objects.packed_pods.covers(1));
}

TEST(LoaderFiles, DirectoriesOnlyYieldManifestExtensions) {
    temp_dir dir;
    dir.write("keep.yaml", pod_yaml("keep"));
    dir.write("notes.txt", pod_yaml("txt"));
    dir.write("old.yaml.bak", pod_yaml("bak"));
    dir.write("README", pod_yaml("readme"));
    dir.write("UPPER.YAML", pod_yaml("upper")); // kubectl matches extensions exactly
    dir.write("sub/also.yml", pod_yaml("also"));
    // Hidden entries: ConfigMap volumes keep a second copy under "..2024_...".
    dir.write("..2024_01_01_00_00_00.1/keep.yaml", pod_yaml("keep"));
    dir.write(".git/objects.yaml", pod_yaml("git"));
    dir.write(".hidden.yaml", pod_yaml("hidden"));
    const auto r = load_manifests({dir.path().string()});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(pod_names(r.objects), (strings{"keep", "also"}));
}

TEST(LoaderFiles, FilesNamedExplicitlyLoadWhateverTheirExtension) {
    temp_dir dir;
    const auto txt = dir.write("pods.txt", pod_yaml("from-txt"));
    const auto yaml = dir.write("pods.yaml", pod_yaml("from-yaml"));
    const auto r = load_manifests({txt, yaml});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(pod_names(r.objects), (strings{"from-txt", "from-yaml"}));
}

TEST(LoaderFiles, AFileReachedTwiceIsLoadedOnce) {
    temp_dir dir;
    const auto file = dir.write("p.yaml", pod_yaml("once"));
    const auto r = load_manifests({file, dir.path().string(), file});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_EQ(pod_names(r.objects), strings{"once"});
}

TEST(LoaderFiles, DuplicatesAcrossFilesNameBothFiles) {
    temp_dir dir;
    const auto a = dir.write("a.yaml", pod_yaml("same", "x"));
    const auto b = dir.write("b.yaml", "# a comment\n" + pod_yaml("same", "x"));
    const auto r = load_manifests({dir.path().string()});
    EXPECT_EQ(messages(r.errors),
              strings{b + ":2: Pod x/same: duplicate object, first defined at " + a + ":1"});
    EXPECT_EQ(r.objects.pods.size(), 1u);
}

TEST(LoaderFiles, MissingAndUnreadablePathsAreErrors) {
    temp_dir dir;
    const auto missing = (dir.path() / "nope.yaml").string();
    const auto dangling = (dir.path() / "dangling.yaml").string();
    std::filesystem::create_symlink(dir.path() / "gone.yaml", dangling);
    const auto good = dir.write("good.yaml", pod_yaml("good"));
    const auto r = load_manifests({missing, dangling, good});
    EXPECT_EQ(messages(r.errors), (strings{missing + ": cannot read: No such file or directory",
                                           dangling + ": cannot read: No such file or directory"}));
    EXPECT_EQ(pod_names(r.objects), strings{"good"}); // the rest still loads
    // A dangling link inside a directory is not a manifest: nothing to report.
    EXPECT_TRUE(load_manifests({dir.path().string()}).ok());
}

TEST(LoaderFiles, PermissionDeniedNamesTheFile) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads files whatever their mode";
    }
    temp_dir dir;
    const auto file = dir.write("secret.yaml", pod_yaml("s"));
    std::filesystem::permissions(file, std::filesystem::perms::none);
    EXPECT_EQ(messages(load_manifests({file}).errors),
              strings{file + ": cannot read: Permission denied"});
}

TEST(LoaderFiles, AReadFailureIsAnErrorNamingTheFile) {
    // Opens fine, even as root, and fails on the first read (EIO at address 0).
    const auto r = load_manifests({"/proc/self/mem"});
    EXPECT_EQ(messages(r.errors), strings{"/proc/self/mem: cannot read: Input/output error"});
}

TEST(LoaderFiles, EmptyFilesAreErrors) {
    for (const char* text : {"", "\n\n", "# just a comment\n", "---\n---\n", "--- ~\n"}) {
        EXPECT_EQ(errors_of(text), strings{"t.yaml: no Kubernetes objects in file"}) << text;
    }
}

TEST(LoaderFiles, MultiDocumentYaml) {
    const auto c = load_ok("---\n" + pod_yaml("one") + "---\n---\n# empty document above\n" +
                           pod_yaml("two") + "...\n---\n" + pod_yaml("three"));
    EXPECT_EQ(pod_names(c), (strings{"one", "two", "three"}));
    EXPECT_EQ(c.pods[0].where.line, 2);
    EXPECT_EQ(c.pods[1].where.line, 10);
}

TEST(LoaderFiles, ListsAndTypedLists) {
    const auto c = load_ok(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: in-list}
- apiVersion: v1
  kind: List
  items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: nested}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: skipped}
---
apiVersion: v1
kind: PodList
metadata: {resourceVersion: "123"}
items:
- metadata: {name: from-api, namespace: x}
  status: {podIP: 10.0.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: np-from-api}
  spec: {podSelector: {}}
---
apiVersion: v1
kind: NamespaceList
items: []
---
apiVersion: v1
kind: ServiceList
items:
- metadata: {name: svc}
)");
    EXPECT_EQ(pod_names(c), (strings{"in-list", "from-api"}));
    EXPECT_EQ(c.pods[1].ns, "x");
    EXPECT_EQ(c.pods[1].where.line, 19);
    ASSERT_EQ(c.namespaces.size(), 1u);
    EXPECT_EQ(c.namespaces[0].name, "nested");
    ASSERT_EQ(c.policies.size(), 1u);
    EXPECT_EQ(c.policies[0].name, "np-from-api");
}

TEST(LoaderFiles, ItemsOfAPlainListNeedAKind) {
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: List\nitems:\n- metadata: {name: a}\n"),
              strings{"t.yaml:4: items[0]: kind: required value"});
    EXPECT_EQ(errors_of("apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n"),
              strings{"t.yaml:4: Pod default/a: apiVersion: required value (expected \"v1\")"});
    // A typed list lends its apiVersion only to items that lack one.
    EXPECT_EQ(
        errors_of(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n- apiVersion: v1\n"
            "  metadata: {name: a}\n  spec: {podSelector: {}}\n"),
        strings{"t.yaml:4: NetworkPolicy default/a: apiVersion: unsupported apiVersion \"v1\" for "
                "NetworkPolicy (expected \"networking.k8s.io/v1\")"});
}

TEST(LoaderFiles, JsonObjectStreamAndList) {
    const auto c = load_ok(R"(
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j1"}}
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j2", "labels": {"esc": "a\u002db"}},
 "status": {"podIPs": [{"ip": "10.9.0.1"}, {"ip": "fd00::9:1"}]}}
{
    "apiVersion": "v1",
    "items": [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "jp", "namespace": "n"},
         "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}, {"port": 8443, "endPort": 8444}]}]}}
    ],
    "kind": "List"
}
)",
                           "s.json");
    EXPECT_EQ(pod_names(c), (strings{"j1", "j2"}));
    EXPECT_EQ(c.pods[1].labels.at("esc"), "a-b");
    EXPECT_EQ(c.pods[1].ips.size(), 2u);
    EXPECT_EQ(c.pods[1].where.line, 3);
    ASSERT_EQ(c.policies.size(), 1u);
    const auto& ports = c.policies[0].ingress.at(0).ports;
    EXPECT_EQ(ports.at(0).what, port_rule::kind::named); // a JSON string is a name
    EXPECT_EQ(ports.at(1).end_port, 8444);
    EXPECT_EQ(c.policies[0].where.line, 8);
}

TEST(LoaderFiles, JsonStringsArePortNamesEvenWhenNumeric) {
    EXPECT_EQ(
        errors_of(
            R"({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"},
  "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": "80"}]}]}})",
            "p.json"),
        strings{"p.json:2: NetworkPolicy default/p: spec.ingress[0].ports[0].port: invalid port "
                "name \"80\": "
                "must contain at least one letter (a-z)"});
}

TEST(LoaderFiles, FlowYamlStartingWithABraceStillLoads) {
    const auto c = load_ok("{apiVersion: v1, kind: Pod, metadata: {name: flow}}\n");
    EXPECT_EQ(pod_names(c), strings{"flow"});
    // Not in a file named .json, though: that is JSON or an error.
    EXPECT_EQ(errors_of("{apiVersion: v1, kind: Pod, metadata: {name: flow}}\n", "x.json"),
              strings{"x.json:1: JSON syntax error: expected a string key, found 'a'"});
}

TEST(LoaderFiles, CrlfLineEndingsAndByteOrderMark) {
    const auto c = load_ok("\xEF\xBB\xBF"
                           "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: crlf\r\n");
    EXPECT_EQ(pod_names(c), strings{"crlf"});
    const auto j = load_ok(
        "\xEF\xBB\xBF{\"apiVersion\":\"v1\",\r\n\"kind\":\"Pod\",\"metadata\":{\"name\":\"bom\"}}");
    EXPECT_EQ(pod_names(j), strings{"bom"});
}

// What the fixture holds, checked field by field.
void expect_fixture(const cluster& c) {
    ASSERT_EQ(c.namespaces.size(), 3u);
    EXPECT_EQ(find_namespace(c, "team-a")->labels,
              (label_map{{"env", "prod"}, {"team", "a"}, {namespace_name_label, "team-a"}}));
    ASSERT_EQ(c.pods.size(), 5u);
    const pod* dns = find_pod(c, "coredns-5d78c9869d-7xkqp");
    ASSERT_NE(dns, nullptr);
    EXPECT_EQ(dns->ns, "kube-system");
    EXPECT_EQ(dns->ips, (std::vector<ip_address>{ip("10.244.0.3"), ip("fd00:10:244::3")}));
    EXPECT_EQ(dns->resolve_port("dns", protocol::udp), 53);
    EXPECT_EQ(dns->resolve_port("dns-tcp", protocol::tcp), 53);
    EXPECT_EQ(dns->resolve_port("dns", protocol::tcp), std::nullopt);
    EXPECT_TRUE(dns->is_endpoint());
    const pod* proxy = find_pod(c, "kube-proxy-4n2vq");
    ASSERT_NE(proxy, nullptr);
    EXPECT_TRUE(proxy->host_network);
    EXPECT_FALSE(proxy->is_endpoint());
    const pod* web = find_pod(c, "web-6b9f7c8d5-q8wzt");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(
        web->labels,
        (label_map{{"app", "web"}, {"pod-template-hash", "6b9f7c8d5"}, {"tier", "frontend"}}));
    EXPECT_EQ(web->resolve_port("http", protocol::tcp), 8080);
    EXPECT_EQ(web->resolve_port("metrics", protocol::tcp),
              9102); // second container, protocol defaulted
    EXPECT_TRUE(find_pod(c, "migrate-x7k2p")->terminated);
    EXPECT_FALSE(find_pod(c, "db-0")->is_endpoint()); // Pending, no IP
    ASSERT_EQ(c.policies.size(), 2u);
    const network_policy* deny = find_policy(c, "default-deny");
    ASSERT_NE(deny, nullptr);
    EXPECT_TRUE(deny->affects_ingress && deny->affects_egress);
    EXPECT_TRUE(deny->ingress.empty() && deny->egress.empty());
    const network_policy* allow = find_policy(c, "web-allow");
    ASSERT_NE(allow, nullptr);
    EXPECT_EQ(allow->pod_selector.match_labels, (label_map{{"app", "web"}}));
    ASSERT_EQ(allow->ingress.size(), 1u);
    const auto& in = allow->ingress[0];
    ASSERT_EQ(in.peers.size(), 3u);
    EXPECT_EQ(in.peers[0].namespace_selector->match_expressions.at(0),
              (label_requirement{"env", selector_op::in, {"prod", "staging"}}));
    EXPECT_EQ(in.peers[1].block->cidr, cidr("192.168.0.0/16"));
    EXPECT_EQ(in.peers[1].block->except, (std::vector<ip_prefix>{cidr("192.168.13.0/24")}));
    EXPECT_EQ(in.peers[2].block->cidr, cidr("2001:db8::/32"));
    ASSERT_EQ(in.ports.size(), 2u);
    EXPECT_EQ(in.ports[0].name, "http");
    EXPECT_EQ(in.ports[1].port, 32000);
    EXPECT_EQ(in.ports[1].end_port, 32768);
    ASSERT_EQ(allow->egress.size(), 1u);
    EXPECT_EQ(allow->egress[0].ports.at(0).proto, protocol::udp);
    EXPECT_EQ(allow->egress[0].peers.at(0).pod_selector->match_labels,
              (label_map{{"k8s-app", "kube-dns"}}));
}

TEST(LoaderFiles, KubectlYamlFixture) {
    const auto r = load_manifests({std::string(PODGATE_LOADER_DATA) + "/kubectl_get_all.yaml"});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
    expect_fixture(r.objects);
    EXPECT_EQ(find_pod(r.objects, "web-6b9f7c8d5-q8wzt")->where.line, 194);
}

TEST(LoaderFiles, KubectlJsonFixtureMatchesTheYamlOne) {
    // The same List as `-o json` prints it, with \u escapes (surrogate pairs
    // included) in an annotation.
    const auto r = load_manifests({std::string(PODGATE_LOADER_DATA) + "/kubectl_get_all.json"});
    ASSERT_TRUE(r.ok()) << joined(r.errors);
    expect_fixture(r.objects);
    const auto y = load_manifest_text(read_data("kubectl_get_all.yaml"), "y");
    ASSERT_EQ(y.objects.pods.size(), r.objects.pods.size());
    for (size_t i = 0; i < y.objects.pods.size(); ++i) {
        EXPECT_EQ(y.objects.pods[i].ips, r.objects.pods[i].ips);
        EXPECT_EQ(y.objects.pods[i].labels, r.objects.pods[i].labels);
        EXPECT_EQ(y.objects.pods[i].ports.size(), r.objects.pods[i].ports.size());
    }
    EXPECT_EQ(y.objects.policies[1].pod_selector, r.objects.policies[1].pod_selector);
}

} // namespace
} // namespace podgate::config::test
