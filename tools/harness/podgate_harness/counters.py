"""Every counter and reason name the Python code needs, read from the program
itself (`podgate --list-counters`, generated from the C++ counter registry:
pipeline/counter_registry.hpp, app/control_metrics.hpp,
classifier/tables/reason.hpp). Tests and benchmarks keep no copy of the
vocabulary: a counter added or renamed in C++ reaches them unchanged."""

import functools
import json
import subprocess

from . import binaries


class CountersError(Exception):
    pass


@functools.cache
def listing(podgate: str | None = None) -> dict:
    """The JSON document `podgate --list-counters` prints (it runs before EAL
    start-up, so nothing else happens)."""
    podgate = podgate or binaries.find("podgate")
    proc = subprocess.run([podgate, "--list-counters"], capture_output=True, text=True, timeout=60)
    try:
        if proc.returncode != 0:
            raise ValueError(f"exit {proc.returncode}")
        return json.loads(proc.stdout)
    except ValueError as e:
        raise CountersError(f"{podgate} --list-counters: {e}: {proc.stdout[:300]!r} {proc.stderr[:300]!r}") from None


def counter_names() -> tuple:
    """The stats-JSON path of every process-wide counter ("rx",
    "dropped.policy-ingress", "conntrack.creates", ...)."""
    return tuple(p for c in listing()["counters"] for p in c["json"] if "[]" not in p)


def drop_reasons() -> tuple:
    """Every drop reason, as the stats JSON's "dropped" object names it."""
    return tuple(listing()["drop_reasons"])


def malformed_reasons() -> tuple:
    """Every malformed class, as the stats JSON's "malformed" object names it."""
    return tuple(listing()["malformed_reasons"])


def policy_drop_reasons() -> tuple:
    """The reasons a policy verdict drops for (policy-ingress, ...): the same
    words `podgate-policy verdict` prints after "deny"."""
    return tuple(r["name"] for r in listing()["reasons"] if r["origin"] == "verdict" and r["fate"] == "drop")

