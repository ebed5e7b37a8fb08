"""Base class of the live tests: a work directory per test (kept when the
test fails or with --keep), and every daemon, feeder and namespace the test
made is torn down whatever happens."""

import shutil
import sys
import tempfile
import unittest

from .daemon import Daemon


class Config:
    keep = False


class LiveTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix=f"podgate-live-{self._testMethodName}-")
        self._daemons = []
        self._feeders = []
        self.addCleanup(self._cleanup)

    def daemon(self, name: str, vdevs: list[str], options: list[str], metrics: bool = True) -> Daemon:
        d = Daemon(self.workdir, name, vdevs, options, metrics)
        self._daemons.append(d)
        return d

    def track_feeder(self, feeder):
        self._feeders.append(feeder)
        return feeder

    def _cleanup(self):
        for f in self._feeders:
            f.stop()
        for d in self._daemons:
            d.close()
        for f in self._feeders:
            f.join(5)
        result = self._outcome.result
        failed = any(t is self for t, _ in result.failures + result.errors)
        if Config.keep or failed:
            print(f"\n[{self.id()}] files kept in {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def assertDaemonExitedCleanly(self, d: Daemon, rc: int):
        self.assertEqual(rc, 0, f"podgate ({d.name}) exited {rc}:\n{d.tail()}")
