"""Case bookkeeping: each case prints what it observed, records failed
checks (and keeps going, so one run shows everything), and ends as passed,
failed or skipped."""

import time
import traceback
from dataclasses import dataclass, field

from podgate_harness import counters


class Skip(Exception):
    pass


@dataclass
class Case:
    name: str
    failures: list = field(default_factory=list)
    status: str = "?"
    seconds: float = 0.0
    skip_reason: str = ""

    def note(self, text: str):
        print(f"    {text}", flush=True)

    def check(self, ok: bool, claim: str) -> bool:
        if not ok:
            self.failures.append(claim)
            print(f"    FAIL: {claim}", flush=True)
        return ok

    def skip(self, reason: str):
        raise Skip(reason)


def run_case(name: str, fn, env) -> Case:
    c = Case(name)
    print(f"== {name}", flush=True)
    start = time.monotonic()
    mark = env.registry.mark()
    try:
        fn(c, env)
        c.status = "failed" if c.failures else "passed"
    except Skip as s:
        c.status = "skipped"
        c.skip_reason = str(s)
    except Exception as e:  # a case that breaks is a failed case; the next one still runs
        c.failures.append(f"{type(e).__name__}: {e}")
        print("    ERROR: " + "".join(traceback.format_exception(e)).replace("\n", "\n    "), flush=True)
        c.status = "failed"
    finally:
        env.registry.stop_since(mark)  # what the case started, whatever happened
    c.seconds = time.monotonic() - start
    extra = f": {c.skip_reason}" if c.skip_reason else ""
    print(f"   {c.status.upper()} {name} ({c.seconds:.1f} s){extra}", flush=True)
    return c


class Measure:
    """Counter deltas across a block: `with Measure(gate) as m: ...; m.delta`."""

    def __init__(self, gate, settle: float = 0.15):
        self.gate = gate
        self.settle = settle
        self.delta = {}

    def __enter__(self):
        self.before = self.gate.counters()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            time.sleep(self.settle)  # the last packets of the block through the worker
            self.delta = self.gate.counters().minus(self.before)
        return False


def drops_text(delta: dict) -> str:
    parts = [f"{k[5:]} {v}" for k, v in delta.items() if k.startswith("drop:") and v]
    return ", ".join(parts) if parts else "none"


def check_allowed(c: Case, delta: dict, creates: int, what: str):
    """Counters of allowed traffic: no drop at all, exactly `creates` new
    conntrack entries."""
    c.note(f"counters: conntrack creates {delta['conntrack.creates']}, drops {drops_text(delta)}")
    c.check(delta["dropped_total"] == 0, f"{what}: podgate dropped {drops_text(delta)}")
    c.check(delta["conntrack.creates"] == creates,
            f"{what}: conntrack creates {delta['conntrack.creates']}, expected {creates}")


def check_denied(c: Case, delta: dict, reason: str, what: str, at_least: int = 1):
    """Counters of denied traffic: drops of `reason` only, no conntrack entry."""
    c.note(f"counters: drops {drops_text(delta)}, conntrack creates {delta['conntrack.creates']}")
    c.check(delta[f"drop:{reason}"] >= at_least,
            f"{what}: {delta[f'drop:{reason}']} drops for {reason}, expected at least {at_least}")
    others = {r: delta[f"drop:{r}"] for r in counters.drop_reasons() if r != reason and delta[f"drop:{r}"]}
    c.check(not others, f"{what}: drops for other reasons {others}")
    c.check(delta["conntrack.creates"] == 0, f"{what}: {delta['conntrack.creates']} conntrack entries created")
