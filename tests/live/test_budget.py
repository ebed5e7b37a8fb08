"""The table memory budget (--table-memory-budget, in MiB) under traffic: a
manifest update whose compiled tables would exceed it (400 IPv6 /64 ipBlocks:
about 3 MB of trie nodes against a 1 MiB budget) is rejected whole. The
running generation stays and keeps classifying every packet, reloads_failed
counts it, and the error naming the budget is in /podgate/policy and
/metrics. Without the budget the same manifests compile (podgate-policy
check), so the budget is what refused them. Removing the file recovers."""

import json
import os
import random
import subprocess
import unittest

from livelib.base import LiveTest
from livelib.paced import PacedRun
from podgate_harness import binaries, metrics

BUDGET_MIB = 1


def wide_policy(blocks: int = 400) -> str:
    """An egress policy for frontend with `blocks` IPv6 /64s, each under its
    own top 16 bits: six trie nodes (6 KiB) apiece."""
    rng = random.Random(7)
    lines = ["apiVersion: networking.k8s.io/v1", "kind: NetworkPolicy",
             "metadata: {name: wide-egress, namespace: shop}", "spec:",
             "  podSelector: {matchLabels: {server: frontend}}", "  policyTypes: [Egress]", "  egress:", "  - to:"]
    for i in range(blocks):
        words = [0x2000 | i] + [rng.getrandbits(16) for _ in range(3)]
        lines.append(f"    - ipBlock: {{cidr: \"{':'.join(f'{w:x}' for w in words)}::/64\"}}")
    return "\n".join(lines) + "\n"


class Budget(LiveTest):
    def test_oversized_update_is_rejected_whole(self):
        run = PacedRun(self, "budget", rate=10000, options=("--table-memory-budget", str(BUDGET_MIB))).start()
        d, manifests = run.daemon, run.manifests
        budget = BUDGET_MIB << 20
        start = run.tel.command("/podgate/policy")
        self.assertLess(start["tables_bytes"], budget, "set A fits the budget")
        run.check_verdicts(run.flows, "at start")

        # The update alone, compiled without the daemon's budget: it compiles, and is too big.
        check_dir = os.path.join(self.workdir, "check")
        os.makedirs(check_dir)
        for name in ("cluster.yaml", "policy.yaml"):
            with open(manifests.file(name), encoding="utf-8") as src, \
                    open(os.path.join(check_dir, name), "w", encoding="utf-8") as dst:
                dst.write(src.read())
        with open(os.path.join(check_dir, "wide.yaml"), "w", encoding="utf-8") as f:
            f.write(wide_policy())
        proc = subprocess.run([binaries.find("podgate-policy"), "check", check_dir, "--json"], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        need = json.loads(proc.stdout)["tables"]["bytes"]
        self.assertGreater(need, budget, "the update needs more than the budget")

        policy = run.rejected("inotify", lambda: manifests.write("wide.yaml", wide_policy()))
        err = policy.get("last_errors_0", "")
        self.assertIn(f"need {need} bytes, over the memory budget of {budget} bytes", err, policy)
        self.assertEqual(policy["tables_bytes"], start["tables_bytes"], "the live tables' statistics stay")
        samples = metrics.parse(d.metrics())
        m = lambda family, /, **labels: metrics.metric(samples, family, **labels)  # noqa: E731
        self.assertEqual((m("podgate_reloads_total", result="failed"), m("podgate_reloads_total", result="ok"),
                          m("podgate_reload_last_failed"), m("podgate_policy_generation"),
                          m("podgate_table_bytes")), (1, 0, 1, 1, start["tables_bytes"]), "metrics after the rejection")
        errors = [dict(k[1])["error"] for k in samples if k[0] == "podgate_reload_last_error_info"]
        self.assertEqual(errors, [err], "/metrics carries the same error")
        run.check_verdicts(run.flows, "after the oversized update")

        # Without the file the manifests fit again.
        policy = run.reload("inotify", "a", lambda: os.remove(manifests.file("wide.yaml")))
        self.assertEqual((policy["reloads_ok"], policy["reloads_failed"], policy["tables_bytes"]),
                         (1, 1, start["tables_bytes"]), policy)
        run.check_verdicts(run.flows, "after the recovery")

        stats = run.finish()
        self.assertEqual((stats["reloads"]["ok"], stats["reloads"]["failed"], stats["reloads"]["generation"]),
                         (1, 1, 2), "final stats")
        # Set A was live throughout: every packet must have followed it.
        run.check_packets(stats, changing_classes=())


if __name__ == "__main__":
    unittest.main()
