"""Expected policy verdicts from the reference evaluator
(`podgate-policy verdict --reference`), never from the compiled tables the
daemon runs on."""

from podgate_harness import policy
from podgate_harness.policy import PORT_PROTOCOLS

from .case import CaseError


def policy_tuple(meta: dict) -> tuple:
    """(proto, src, sport, dst, dport) of a packet as policy sees it: ports
    for TCP/UDP/SCTP, 0 for every other protocol (ICMP included)."""
    proto = meta["proto"]
    if proto in PORT_PROTOCOLS:
        if "sport" not in meta or "dport" not in meta:
            raise CaseError(f"packet meta without ports: {meta}")
        return proto, meta["src"], meta["sport"], meta["dst"], meta["dport"]
    return proto, meta["src"], 0, meta["dst"], 0


def reference(manifests: list[str], non_pod: str, tuples: set, workdir: str) -> dict:
    """tuple -> (allow, reason) for every tuple, in one run of podgate-policy."""
    try:
        return policy.reference(manifests, non_pod, tuples, workdir)
    except policy.PolicyError as e:
        raise CaseError(str(e)) from None
