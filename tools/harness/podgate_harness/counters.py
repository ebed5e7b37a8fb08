"""Every counter name the Python code needs, in one place: the stats-JSON
paths of podgate's counters ("rx", "dropped.policy-ingress",
"malformed.truncated-l2", "conntrack.creates", ...), from which the drop
reasons and malformed classes are read, and the map from the reference
evaluator's verdict reasons to drop reasons.

The program is the authority: counter_names() asks `podgate -- --list-counters`
(one counter a line, its stats-JSON path first; a JSON list is accepted
too) and falls back to the list below only while the binary does not know
that option. Tests therefore never keep a copy of the names."""

import functools
import json
import re
import subprocess

from . import binaries

_DROP_REASONS = ("policy-ingress", "policy-egress", "non-pod-denied", "malformed", "fragment-orphan",
                 "fragment-denied", "conntrack-full", "tx-full", "non-ip-denied")
_MALFORMED = ("truncated-l2", "too-many-vlans", "truncated-l3", "bad-version", "bad-ihl", "bad-ip-length",
              "bad-ext-chain", "bad-fragment", "truncated-l4", "bad-l4-header", "headers-too-long")
_CONNTRACK = ("lookups", "hits", "creates", "stateless", "expired", "evicted", "revalidated", "revoked",
              "occupancy", "capacity")
# Until podgate lists them itself (pipeline/counters.hpp, app/stats.cpp).
_BUILT_IN = (("rx", "tx", "dropped_total") + tuple(f"dropped.{r}" for r in _DROP_REASONS)
             + tuple(f"malformed.{r}" for r in _MALFORMED)
             + ("non_ip_forwarded", "drop_log_skipped", "capture_skipped", "nd_passed", "policy_lookups",
                "new_flows_allowed") + tuple(f"conntrack.{c}" for c in _CONNTRACK)
             + ("fragments.tracked", "fragments.followed", "fragments.table_full"))

# podgate-policy's verdict reasons -> the daemon's drop counters.
_POLICY_DROP = {"ingress-denied": "policy-ingress", "egress-denied": "policy-egress",
                "non-pod-denied": "non-pod-denied"}


class CountersError(Exception):
    pass


def _parse_list(text: str) -> tuple:
    text = text.strip()
    if text.startswith("["):
        items = json.loads(text)
        return tuple(i if isinstance(i, str) else i["name"] for i in items)
    return tuple(line.split()[0] for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _from_program(podgate: str) -> tuple | None:
    """What `podgate -- --list-counters` prints; None when this podgate
    predates the option (it parses options before EAL starts: nothing runs)."""
    proc = subprocess.run([podgate, "--", "--list-counters"], capture_output=True, text=True, timeout=30)
    # The option parser before the option: "unknown option --list-counters" or
    # (as the last argument) "option --list-counters needs a value".
    if proc.returncode != 0 and re.search(r"unknown option --list-counters|option --list-counters needs a value",
                                          proc.stderr):
        return None
    names = _parse_list(proc.stdout) if proc.returncode == 0 else ()
    if not names:
        raise CountersError(f"{podgate} -- --list-counters exited {proc.returncode} and listed no counter: "
                            f"{proc.stdout[:300]!r} {proc.stderr[:300]!r} (the parser: podgate_harness/counters.py)")
    return names


@functools.cache
def counter_names(podgate: str | None = None) -> tuple:
    """The stats-JSON path of every counter (nested keys joined with '.').
    `podgate` defaults to binaries.find("podgate"); without a binary, the
    built-in list."""
    try:
        podgate = podgate or binaries.find("podgate")
    except binaries.MissingBinary:
        return _BUILT_IN
    return _from_program(podgate) or _BUILT_IN


def _family(family: str) -> tuple:
    prefix = family + "."
    return tuple(n[len(prefix):] for n in counter_names() if n.startswith(prefix))


def drop_reasons() -> tuple:
    """Every drop reason, as the stats JSON's "dropped" object names it."""
    return _family("dropped")


def malformed_reasons() -> tuple:
    """Every malformed class, as the stats JSON's "malformed" object names it."""
    return _family("malformed")


def policy_drop_reasons() -> tuple:
    """The drop reasons a policy verdict can give (policy-ingress, ...)."""
    return tuple(_POLICY_DROP.values())


def policy_drop_reason(verdict_reason: str) -> str | None:
    """The drop counter of a `podgate-policy verdict` deny reason
    ("ingress-denied" -> "policy-ingress"); None for any other word."""
    return _POLICY_DROP.get(verdict_reason)
