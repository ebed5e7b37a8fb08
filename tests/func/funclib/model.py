"""What podgate should do with the input packets, from the traffic tool's
meta, the reference verdicts and a model of the data plane's state:

- malformed frames drop (counted by reason); non-IP frames pass or drop with
  --non-ip-traffic; IPv6 neighbour discovery passes without policy;
- connection tracking per worker, keyed by the unordered pair of (address,
  port) ends and the protocol (ICMP echo: the identifier on both ends; other
  protocols without ports: addresses only; ICMP other than echo: untracked).
  A packet of a known flow passes (either direction). Any other packet is a
  new flow: the reference verdict of its own tuple decides, and only an
  allowed one creates state -- except a TCP SYN-ACK or RST, which passes or
  drops on its own verdict but never opens a flow (loose pickup: any other
  TCP packet may). So the replies of a denied flow are new flows in the
  reverse direction, and a denied SYN's SYN-ACK cannot open the way back;
- fragments: a first fragment is a packet like any other, and its fate is
  the fate of the datagram's later fragments (keyed by src, dst, protocol and
  fragment id); a later fragment with no first fragment before it drops as
  an orphan.

A worker processes its queues' packets in some interleaving that keeps each
queue's order. Cases with two streams on one worker (two paired ports) must
not depend on that interleaving: `expect` checks the extreme orders and
seeded random ones and refuses the case if any packet's fate changes."""

import ipaddress
import random
from dataclasses import dataclass, field

from podgate_harness import counters

from . import reasons, verdicts
from .case import Case, CaseError, Packet

_ECHO_TYPES = {1: (0, 8), 58: (128, 129)}
_RANDOM_ORDERS = 20


@dataclass
class Outcome:
    passed: bool
    why: str  # a pass: how it passed; a drop: the daemon's drop reason

    def fate(self) -> tuple:
        """What the output and the counters show: how a packet passed is not visible."""
        return self.passed, None if self.passed else self.why

    def __str__(self):
        return ("forwarded: " if self.passed else "dropped: ") + self.why


@dataclass
class Expectation:
    outcomes: dict  # (port, queue, index) -> Outcome
    outputs: dict  # (tx port, tx queue) -> [Packet]
    counters: dict  # stats JSON path -> value


@dataclass
class _Worker:
    conns: set = field(default_factory=set)
    datagrams: dict = field(default_factory=dict)  # fragment key -> passed


def ct_key(meta: dict):
    """The unordered flow key, or None for packets that are not tracked."""
    proto = meta["proto"]
    src, dst = ipaddress.ip_address(meta["src"]), ipaddress.ip_address(meta["dst"])
    if proto in verdicts.PORT_PROTOCOLS:
        a, b = (src, meta["sport"]), (dst, meta["dport"])
    elif proto in _ECHO_TYPES:
        if meta.get("icmp_type") not in _ECHO_TYPES[proto]:
            return None
        a, b = (src, meta["icmp_id"]), (dst, meta["icmp_id"])
    else:
        a, b = (src, 0), (dst, 0)
    return proto, min(a, b), max(a, b)


def fragment_key(meta: dict):
    return meta["proto"], meta["src"], meta["dst"], meta["frag"]["id"]


def _needs_verdict(meta: dict) -> bool:
    reason = meta.get("reason", "ok")
    later = "frag" in meta and meta["frag"]["offset"] != 0
    return reason not in ("non_ip", "ndp") and not reason.startswith("malformed:") and not later


def policy_tuples(inputs: dict) -> set:
    return {verdicts.policy_tuple(p.meta) for packets in inputs.values() for p in packets if _needs_verdict(p.meta)}


def _step(w: _Worker, p: Packet, verdict: dict, forward_non_ip: bool, counts: dict) -> Outcome:
    m = p.meta
    reason = m.get("reason", "ok")
    if reason.startswith("malformed:"):
        try:
            counts["malformed." + reasons.podgate_reason(reason, p.frame)] += 1
        except reasons.UnknownClass as e:
            raise CaseError(f"{p.describe()}: {e}") from None
        return Outcome(False, "malformed")
    if reason == "non_ip":
        if forward_non_ip:
            counts["non_ip_forwarded"] += 1
            return Outcome(True, "non-IP frame")
        return Outcome(False, "non-ip-denied")
    if reason == "ndp":
        counts["nd_passed"] += 1
        return Outcome(True, "neighbour discovery")
    frag = m.get("frag")
    if frag and frag["offset"] != 0:
        first = w.datagrams.get(fragment_key(m))
        if first is None:
            return Outcome(False, "fragment-orphan")
        if not first:
            return Outcome(False, "fragment-denied")
        counts["fragments.followed"] += 1
        return Outcome(True, "later fragment of a forwarded datagram")
    key = ct_key(m)
    if key is not None and key in w.conns:
        out = Outcome(True, "conntrack hit")
    else:
        allow, why = verdict[verdicts.policy_tuple(m)]
        if not allow:
            out = Outcome(False, why)  # verdict reasons are the drop counters' names
        else:
            flags = m.get("tcp_flags", "")
            opens = not ("R" in flags or ("S" in flags and "A" in flags))
            if key is not None and opens:
                w.conns.add(key)
                counts["conntrack.creates"] += 1
            out = Outcome(True, f"new flow, policy: {why}" + ("" if key else " (untracked)"))
    if frag:
        w.datagrams[fragment_key(m)] = out.passed
        counts["fragments.tracked"] += 1
    return out


def _zero_counters(case: Case) -> dict:
    counts = {k: 0 for k in ("rx", "tx", "dropped_total", "non_ip_forwarded", "nd_passed", "conntrack.creates",
                             "fragments.followed", "fragments.tracked")}
    counts.update({f"dropped.{r}": 0 for r in counters.drop_reasons()})
    counts.update({f"malformed.{r}": 0 for r in counters.malformed_reasons()})
    for port in range(case.ports):
        counts[f"ports.{port}.rx"] = counts[f"ports.{port}.tx"] = 0
    for worker in range(case.workers):
        counts[f"lcores.{worker}.rx"] = counts[f"lcores.{worker}.tx"] = 0
    return counts


def _simulate(order: list[Packet], verdict: dict, forward_non_ip: bool, counts: dict) -> dict:
    w = _Worker()
    return {(p.port, p.queue, p.index): _step(w, p, verdict, forward_non_ip, counts) for p in order}


def _fates(outcomes: dict) -> dict:
    return {k: o.fate() for k, o in outcomes.items()}


def _orders(streams: list[list[Packet]], seed: str):
    """The extreme orders, then seeded random merges keeping each stream's order."""
    yield [p for s in streams for p in s]
    yield [p for s in reversed(streams) for p in s]
    for k in range(_RANDOM_ORDERS):
        rng = random.Random(f"{seed}:{k}")
        pos, merged = [0] * len(streams), []
        while True:
            live = [i for i, s in enumerate(streams) if pos[i] < len(s)]
            if not live:
                break
            i = rng.choice(live)
            merged.append(streams[i][pos[i]])
            pos[i] += 1
        yield merged


def expect(case: Case, inputs: dict, verdict: dict, forward_non_ip: bool) -> Expectation:
    counts = _zero_counters(case)
    outcomes = {}
    for worker in range(case.workers):
        streams = [inputs[(port, worker)] for port in range(case.ports) if inputs[(port, worker)]]
        reference = None
        for n, order in enumerate(_orders(streams, f"{case.name}:{worker}")):
            trial = _zero_counters(case)
            result = _simulate(order, verdict, forward_non_ip, trial)
            if reference is None:
                reference, ref_counts = result, trial
            elif _fates(result) != _fates(reference) or trial != ref_counts:
                raise CaseError(_order_dependence(case, inputs, reference, result, ref_counts, trial, n))
            if len(streams) < 2:
                break
        outcomes.update(reference or {})
        for key, value in (ref_counts.items() if reference else ()):
            counts[key] += value
    outputs = {(case.peer(port), queue): [] for port in range(case.ports) for queue in range(case.workers)}
    for (port, queue), packets in sorted(inputs.items()):
        for p in packets:
            out = outcomes[(port, queue, p.index)]
            counts["rx"] += 1
            counts[f"ports.{port}.rx"] += 1
            counts[f"lcores.{queue}.rx"] += 1
            if out.passed:
                outputs[(case.peer(port), queue)].append(p)
                counts["tx"] += 1
                counts[f"ports.{case.peer(port)}.tx"] += 1
                counts[f"lcores.{queue}.tx"] += 1
            else:
                counts["dropped_total"] += 1
                counts[f"dropped.{out.why}"] += 1
    return Expectation(outcomes, outputs, counts)


def _order_dependence(case, inputs, a, b, counts_a, counts_b, n) -> str:
    for key in a:
        if a[key].fate() != b[key].fate():
            port, queue, index = key
            p = inputs[(port, queue)][index]
            return (f"case {case.name} depends on how the worker interleaves its ports (order #{n}): "
                    f"{p.describe()} is {a[key]} in one order and {b[key]} in another; "
                    "give the two ports flows whose verdict is the same in both directions")
    diff = {k: (counts_a[k], counts_b[k]) for k in counts_a if counts_a[k] != counts_b[k]}
    return f"case {case.name}: counters depend on the interleaving of the ports (order #{n}): {diff}"


def check_claims(case: Case, run_name: str, inputs: dict, exp: Expectation) -> list[str]:
    """The case's hand-written `expect` claims against the model: a guard
    against a model (or a case) that has drifted from what the author meant."""
    problems = []
    for claim in case.claims:
        if "runs" in claim and run_name not in claim["runs"]:
            continue
        flow = " ".join(str(claim.get("flow", "")).split())
        chosen = [p for packets in inputs.values() for p in packets
                  if (not flow or " ".join(str(p.meta.get("flow")).split()) == flow)
                  and all(k not in claim or p.meta.get(k) == claim[k] for k in ("kind", "direction"))]
        label = f"expect {claim}"
        if not chosen:
            problems.append(f"{label}: no input packet matches")
            continue
        fates = [exp.outcomes[(p.port, p.queue, p.index)] for p in chosen]
        want = claim["packets"]
        first = [not f.passed for f in fates[:1]]
        ok = {"pass": all(f.passed for f in fates),
              "drop": not any(f.passed for f in fates),
              # The flow's first packet drops; what follows is the model's
              # business (a reply may pass on its own verdict, and with loose
              # pickup a mid-stream reply may open the flow).
              "drop-first": first == [True]}[want]
        dropped = [f.why for f in (fates[:1] if want == "drop-first" else fates) if not f.passed]
        if ok and "reason" in claim and any(r != claim["reason"] for r in dropped):
            ok = False
        if not ok:
            detail = "; ".join(f"{p.where()}: {f}" for p, f in zip(chosen, fates))
            problems.append(f"{label}: the model says {detail}")
    return problems
