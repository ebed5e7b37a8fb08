#!/usr/bin/python3
"""podgate functional tests: the real daemon on net_pcap vdevs.

For every case folder under cases/ (see README.md): make the input pcaps with
tools/traffic/podgate-traffic, compute what must come out from the reference
evaluator (podgate-policy verdict --reference) and the data-plane model in
funclib/model.py, run podgate, then compare every output pcap packet by packet
and the stats JSON counters. One unittest class per case, one test per run.

    /usr/bin/python3 tests/func/run_func.py [--case NAME ...] [--build-dir DIR] [--keep] [-v]

Binaries come from $PODGATE and $PODGATE_POLICY (meson test sets them), else
from --build-dir (default $PODGATE_BUILD_DIR, else build/)."""

import argparse
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

from funclib import case as cases  # noqa: E402
from funclib import compare, daemon, model, names, verdicts  # noqa: E402

CASES_DIR = os.path.join(HERE, "cases")


class Config:
    podgate = ""
    policy = ""
    traffic = ""
    keep = False
    idle_ms = 500


class CaseTest(unittest.TestCase):
    """Subclassed once per case folder (`case` set); one test_* per run."""
    case: cases.Case = None

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix=f"podgate-func-{cls.case.name}-")
        cls.failed = False
        try:
            cls.inputs = cases.build_inputs(cls.case, cases.TrafficTool(Config.traffic, cls.workdir))
        except cases.CaseError:
            print(f"\n[{cls.case.name}] files kept in {cls.workdir}", file=sys.stderr)
            raise

    @classmethod
    def tearDownClass(cls):
        if Config.keep or cls.failed:
            print(f"\n[{cls.case.name}] files kept in {cls.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def check_run(self, run: cases.Run):
        c = self.case
        label = f"case {c.name}, run {run.name}"
        non_pod = run.option("non-pod-traffic", "allow")
        forward_non_ip = run.option("non-ip-traffic", "allow") == "allow"
        try:
            verdict = verdicts.reference(Config.policy, c.manifests, non_pod, model.policy_tuples(self.inputs),
                                         self.workdir)
            exp = model.expect(c, self.inputs, verdict, forward_non_ip)
        except cases.CaseError as e:
            type(self).failed = True
            raise AssertionError(f"{label}: {e}") from None
        claims = model.check_claims(c, run.name, self.inputs, exp)
        if claims:
            type(self).failed = True
            self.fail(f"{label}: the case's `expect` disagrees with the model:\n  " + "\n  ".join(claims))
        try:
            result = daemon.run(Config.podgate, c, run, self.inputs, self.workdir, Config.idle_ms)
        except daemon.DaemonError as e:
            type(self).failed = True
            raise AssertionError(f"{label}: {e}") from None
        problems = compare.outputs(label, c, exp, self.inputs, result.outputs)
        problems += [f"{label}: {p}" for p in compare.counters(exp, result.stats)]
        if problems:
            type(self).failed = True
            self.fail("\n".join(problems) + f"\n  command: {' '.join(result.command)}\n  files: {self.workdir}")


def _test_method(run: cases.Run):
    def test(self):
        self.check_run(run)
    test.__doc__ = f"run {run.name}: {' '.join(run.options) or 'default options'}"
    return test


def make_suite(names: list[str]) -> unittest.TestSuite:
    available = sorted(d for d in os.listdir(CASES_DIR) if os.path.isfile(os.path.join(CASES_DIR, d, "case.yaml")))
    unknown = set(names) - set(available)
    if unknown:
        raise SystemExit(f"run_func.py: no case {', '.join(sorted(unknown))} (cases: {', '.join(available)})")
    suite = unittest.TestSuite()
    for name in names or available:
        c = cases.load(os.path.join(CASES_DIR, name))
        attrs = {"case": c, "__doc__": c.description}
        for run in c.runs:
            attrs["test_" + run.name.replace("-", "_")] = _test_method(run)
        cls = type(f"case_{name.replace('-', '_')}", (CaseTest,), attrs)
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(cls))
    return suite


def _binary(env: str, build_dir: str, rel: str) -> str:
    path = os.environ.get(env) or os.path.join(build_dir, rel)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"run_func.py: {path} is not an executable: build it (ninja -C {build_dir} {rel}) "
                         f"or set ${env}")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", default=[], help="run only this case (repeatable)")
    parser.add_argument("--build-dir", default=os.environ.get("PODGATE_BUILD_DIR", os.path.join(ROOT, "build")))
    parser.add_argument("--keep", action="store_true", help="keep the generated pcaps and outputs")
    parser.add_argument("--idle-ms", type=int, default=int(os.environ.get("PODGATE_FUNC_IDLE_MS", "500")),
                        help="--exit-on-idle given to podgate (default 500)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    Config.podgate = _binary("PODGATE", args.build_dir, "app/podgate")
    Config.policy = _binary("PODGATE_POLICY", args.build_dir, "tools/policy/podgate-policy")
    names.load(Config.podgate)
    Config.traffic = os.environ.get("PODGATE_TRAFFIC") or os.path.join(ROOT, "tools", "traffic", "podgate-traffic")
    Config.keep = args.keep
    Config.idle_ms = args.idle_ms
    result = unittest.TextTestRunner(verbosity=2 if args.verbose else 1).run(make_suite(args.case))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
