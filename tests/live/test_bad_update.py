"""A bad manifest update leaves the running tables in place, under traffic:
broken YAML (renamed in, then a SIGHUP on the same file) and an invalid field
(a /33 CIDR). Each is rejected with its file:line in the log, in /podgate/policy
and in /metrics; the generation stays, reloads_failed counts; every packet read
meanwhile is still classified by the running set. Then a good update recovers."""

import re
import signal
import unittest

from livelib.base import LiveTest
from livelib.paced import PacedRun
from podgate_harness import metrics

BROKEN_YAML = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-policy
  namespace: shop
spec:
  podSelector:
    matchLabels: {server: db
  policyTypes:
  - Ingress
"""
BROKEN_YAML_LINES = (8, 9)  # the unclosed flow map; the parser notices on the next line

BAD_CIDR = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-policy
  namespace: shop
spec:
  podSelector:
    matchLabels:
      server: db
  policyTypes:
  - Ingress
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/33
"""
BAD_CIDR_LINE = 15

TELEMETRY_STRING_MAX = 127  # DPDK's RTE_TEL_MAX_STRING_LEN - 1


class BadUpdate(LiveTest):
    def test_rejected_updates_keep_the_running_tables(self):
        run = PacedRun(self, "bad-update", rate=10000).start()
        d, manifests = run.daemon, run.manifests
        policy_file = manifests.file("policy.yaml")
        probes = [run.classes[c][0] for c in ("only-a", "only-b")]
        run.check_verdicts(probes, "at start")

        cases = [
            ("inotify", BROKEN_YAML, BROKEN_YAML_LINES, "YAML", lambda: manifests.write("policy.yaml", BROKEN_YAML)),
            ("SIGHUP", BROKEN_YAML, BROKEN_YAML_LINES, "YAML", lambda: d.send_signal(signal.SIGHUP)),
            ("inotify", BAD_CIDR, (BAD_CIDR_LINE,), "10.0.0.0/33", lambda: manifests.write("policy.yaml", BAD_CIDR)),
        ]
        longest = 0
        for n, (trigger, _, lines, word, action) in enumerate(cases, start=1):
            log_from = len(d.log())
            policy = run.rejected(trigger, action)
            what = f"rejected update #{n} ({trigger}, {word})"
            # /podgate/policy: the first error, file:line first, cut by DPDK.
            err = policy.get("last_errors_0", "")
            self.assertTrue(self._names_line(err, policy_file, lines), f"{what}: last_errors_0 = {err!r}")
            self.assertLessEqual(len(err), TELEMETRY_STRING_MAX, f"{what}: {err!r}")
            # The log: the error and that the running generation stays.
            m = d.wait_log(rf"reload \({trigger}\): (.*)", 5, after=log_from)
            self.assertTrue(self._names_line(m.group(1), policy_file, lines) and word in m.group(1),
                            f"{what}: log line {m.group(0)!r}")
            d.wait_log(rf"reload \({trigger}\) rejected: generation 1 stays live", 5, after=log_from)
            # /metrics.
            samples = metrics.parse(d.metrics())
            self.assertEqual(metrics.metric(samples, "podgate_reloads_total", result="failed"), n, what)
            self.assertEqual(metrics.metric(samples, "podgate_reloads_total", result="ok"), 0, what)
            self.assertEqual(metrics.metric(samples, "podgate_reload_last_failed"), 1, what)
            self.assertEqual(metrics.metric(samples, "podgate_policy_generation"), 1, what)
            errors = [dict(k[1])["error"] for k in samples if k[0] == "podgate_reload_last_error_info"]
            self.assertTrue(errors and all(self._names_line(e, policy_file, lines) for e in errors)
                            and word in errors[0], f"{what}: podgate_reload_last_error_info {errors}")
            self.assertEqual(err, errors[0][:TELEMETRY_STRING_MAX], f"{what}: metrics carry the whole error, "
                             f"telemetry its first {TELEMETRY_STRING_MAX} characters")
            longest = max(longest, len(errors[0]))
            # Verdicts: still set A, generation 1.
            run.check_verdicts(run.flows, f"after {what}")

        self.assertGreater(longest, TELEMETRY_STRING_MAX, "some error was long enough to be cut by telemetry")

        # A good update recovers.
        policy = run.reload("inotify", "b", lambda: manifests.set_policy("b"))
        self.assertEqual((policy["reloads_ok"], policy["reloads_failed"], policy.get("last_errors_0")),
                         (1, len(cases), None), f"after the good update: {policy}")
        run.check_verdicts(run.flows, "after the good update")
        samples = metrics.parse(d.metrics())
        self.assertEqual((metrics.metric(samples, "podgate_reload_last_failed"),
                          metrics.metric(samples, "podgate_reloads_total", result="ok"),
                          metrics.metric(samples, "podgate_policy_generation")), (0, 1, 2), "metrics after recovery")
        self.assertFalse([k for k in samples if k[0] == "podgate_reload_last_error_info"], "errors left in /metrics")

        stats = run.finish()
        self.assertEqual((stats["reloads"]["ok"], stats["reloads"]["failed"], stats["reloads"]["generation"]),
                         (1, len(cases), 2), "final stats")
        # No window of doubt for the rejected updates: until the good one,
        # every packet must have followed set A.
        run.check_packets(stats)

    @staticmethod
    def _names_line(text: str, path: str, lines: tuple) -> bool:
        m = re.search(re.escape(path) + r":(\d+)", text)
        return m is not None and int(m.group(1)) in lines


if __name__ == "__main__":
    unittest.main()
