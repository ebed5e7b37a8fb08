"""Just enough of Kubernetes manifests for `flows`: Namespaces (labels), Pods
(labels, IPs, container ports) and NetworkPolicies (selectors, peers, ports).

Accepts what config/manifest_loader.hpp accepts: files and directories
(recursively *.yaml, *.yml, *.json), multi-document YAML, `kind: List` /
`*List` with items. This is not a validator: podgate-policy is. Malformed YAML
and fields of the wrong type are reported with the file (and line for YAML).
"""

import ipaddress
import os
from dataclasses import dataclass, field

import yaml

from .flowfile import InputError

PROTOCOLS = {"TCP": 6, "UDP": 17, "SCTP": 132}
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


@dataclass
class Selector:
    match_labels: dict
    expressions: list  # (key, operator, values)

    def matches(self, labels: dict) -> bool:
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        for key, op, values in self.expressions:
            present = key in labels
            if op == "In" and not (present and labels[key] in values):
                return False
            if op == "NotIn" and present and labels[key] in values:
                return False
            if op == "Exists" and not present:
                return False
            if op == "DoesNotExist" and present:
                return False
        return True


@dataclass
class Pod:
    ns: str
    name: str
    labels: dict
    ips: list
    ports: list  # (name, number, proto)
    endpoint: bool  # not hostNetwork, not terminated, has IPs

    def resolve(self, name: str, proto: int) -> int | None:
        return next((n for pname, n, p in self.ports if pname == name and p == proto), None)


@dataclass
class Peer:
    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    cidr: object = None
    excepts: list = field(default_factory=list)


@dataclass
class PortRule:
    proto: int
    port: int | str | None  # None: every port of proto
    end_port: int | None = None


@dataclass
class Rule:
    ports: list  # [PortRule]; empty: everything
    peers: list  # [Peer]; empty: everyone


@dataclass
class Policy:
    ns: str
    name: str
    selector: Selector
    ingress: list | None  # [Rule] when the policy affects ingress, else None
    egress: list | None


@dataclass
class Cluster:
    namespaces: dict = field(default_factory=dict)  # name -> labels
    pods: list = field(default_factory=list)
    policies: list = field(default_factory=list)

    def namespace_labels(self, ns: str) -> dict:
        return self.namespaces.get(ns, {NAMESPACE_LABEL: ns})


def manifest_files(paths: list[str]) -> list[str]:
    out = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith((".yaml", ".yml", ".json"))]
        elif os.path.exists(path):
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return out


def load(paths: list[str]) -> Cluster:
    cluster = Cluster()
    for path in manifest_files(paths):
        try:
            with open(path, encoding="utf-8") as f:
                docs = list(yaml.load_all(f, Loader=SAFE_LOADER))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise InputError(f"{path}{line}: invalid YAML: {getattr(e, 'problem', e)}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot read: {e}") from None
        for doc in docs:
            for obj in _objects(doc):
                try:
                    _add(cluster, obj)
                except (TypeError, ValueError, AttributeError, KeyError) as e:
                    meta = obj.get("metadata") or {}
                    raise InputError(f"{path}: {obj.get('kind')} {meta.get('namespace', 'default')}/"
                                     f"{meta.get('name')}: unexpected content: {e}") from None
    return cluster


def _objects(doc):
    if not isinstance(doc, dict):
        return
    kind = doc.get("kind", "")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            yield from _objects(item)
    else:
        yield doc


def _add(cluster: Cluster, obj: dict) -> None:
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or "default"
    spec = obj.get("spec") or {}
    if kind == "Namespace":
        cluster.namespaces[meta["name"]] = {**(meta.get("labels") or {}), NAMESPACE_LABEL: meta["name"]}
    elif kind == "Pod":
        cluster.pods.append(_pod(ns, meta, spec, obj.get("status") or {}))
    elif kind == "NetworkPolicy":
        cluster.policies.append(_policy(ns, meta, spec))


def _pod(ns: str, meta: dict, spec: dict, status: dict) -> Pod:
    texts = [entry["ip"] for entry in status.get("podIPs") or []]
    if not texts and status.get("podIP"):
        texts = [status["podIP"]]
    ips = [ipaddress.ip_address(t) for t in dict.fromkeys(texts)]
    ports = []
    for container in spec.get("containers") or []:
        for p in container.get("ports") or []:
            ports.append((p.get("name", ""), int(p["containerPort"]), PROTOCOLS[p.get("protocol", "TCP")]))
    terminated = status.get("phase") in ("Succeeded", "Failed")
    endpoint = bool(ips) and not spec.get("hostNetwork", False) and not terminated
    return Pod(ns, meta.get("name", ""), dict(meta.get("labels") or {}), ips, ports, endpoint)


def _selector(obj) -> Selector:
    obj = obj or {}
    expressions = [(e["key"], e["operator"], list(e.get("values") or [])) for e in obj.get("matchExpressions") or []]
    return Selector(dict(obj.get("matchLabels") or {}), expressions)


def _peer(obj: dict) -> Peer:
    if "ipBlock" in obj:
        block = obj["ipBlock"]
        return Peer(cidr=ipaddress.ip_network(block["cidr"], strict=False),
                    excepts=[ipaddress.ip_network(e, strict=False) for e in block.get("except") or []])
    return Peer(_selector(obj["podSelector"]) if "podSelector" in obj else None,
                _selector(obj["namespaceSelector"]) if "namespaceSelector" in obj else None)


def _port(obj: dict) -> PortRule:
    port = obj.get("port")
    return PortRule(PROTOCOLS[obj.get("protocol", "TCP")], port if isinstance(port, (int, str)) else None,
                    obj.get("endPort"))


def _rules(items, peer_key: str) -> list:
    return [Rule([_port(p) for p in item.get("ports") or []], [_peer(p) for p in item.get(peer_key) or []])
            for item in items or []]


def _policy(ns: str, meta: dict, spec: dict) -> Policy:
    types = spec.get("policyTypes")
    if not types:
        types = ["Ingress"] + (["Egress"] if "egress" in spec else [])
    return Policy(ns, meta.get("name", ""), _selector(spec.get("podSelector")),
                  _rules(spec.get("ingress"), "from") if "Ingress" in types else None,
                  _rules(spec.get("egress"), "to") if "Egress" in types else None)
