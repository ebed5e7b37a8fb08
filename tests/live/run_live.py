#!/usr/bin/python3
"""podgate live tests: the real daemon kept running while the test reloads
its policy, talks to its control interfaces and sends it traffic (see
README.md). Each test_*.py module is one group; meson runs one group per test.

    /usr/bin/python3 tests/live/run_live.py [--module NAME ...] [--build-dir DIR] [--keep] [-v]

Binaries come from $PODGATE and $PODGATE_POLICY (meson test sets them), else
from --build-dir (default $PODGATE_BUILD_DIR, else build/); see
tools/harness/podgate_harness/binaries.py."""

import argparse
import importlib
import os
import sys
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(ROOT, "tools", "harness"))

from livelib import base  # noqa: E402
from podgate_harness import binaries  # noqa: E402


def modules() -> list[str]:
    return sorted(f[:-3] for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", default=[], help="run only this module, e.g. reload "
                        "(repeatable)")
    parser.add_argument("--build-dir", default=os.environ.get("PODGATE_BUILD_DIR", os.path.join(ROOT, "build")))
    parser.add_argument("--keep", action="store_true", help="keep every work directory (failed ones are kept)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    binaries.configure(build=args.build_dir)
    binaries.require("run_live.py", "podgate", "podgate-policy", "podgate-traffic")
    base.Config.keep = args.keep
    available = modules()
    names = [m if m.startswith("test_") else "test_" + m for m in args.module] or available
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"run_live.py: no module {', '.join(unknown)} (modules: {', '.join(available)})")
    suite = unittest.TestSuite()
    for name in names:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(importlib.import_module(name)))
    runner = unittest.TextTestRunner(verbosity=2 if args.verbose else 1, resultclass=CountingResult)
    result = runner.run(suite)
    failed = len({t.id() for t, _ in result.failures + result.errors} | {t.id() for t in result.unexpectedSuccesses})
    print(f"{result.passed} passed, {failed} failed, {len(result.skipped)} skipped")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
