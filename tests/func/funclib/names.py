"""Counter and reason names as podgate itself lists them (`podgate
--list-counters`), so the harness keeps no copy of the vocabulary. Filled in
place by load() before any case runs."""

import json
import subprocess

DROP_REASONS: list = []  # the stats JSON's "dropped" keys
MALFORMED: list = []  # its "malformed" keys


def load(podgate: str) -> None:
    proc = subprocess.run([podgate, "--list-counters"], capture_output=True, text=True, timeout=60, check=True)
    listed = json.loads(proc.stdout)
    DROP_REASONS[:] = listed["drop_reasons"]
    MALFORMED[:] = listed["malformed_reasons"]
