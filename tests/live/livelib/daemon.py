"""A podgate process that stays up while a live test talks to it (the shared
podgate_harness.podgate.Podgate) with the live suite's defaults, and the
reload latencies it logs."""

import re

from podgate_harness import podgate

# What every live test passes: no busy-polling an idle port (two CPUs shared
# by everyone), counters only at exit.
BASE_OPTIONS = ["--idle-sleep-us", "50", "--stats-interval", "0"]

RELOAD_LINE = re.compile(r"reload \((\w+)\): generation (\d+) live on all workers ([0-9.]+) ms after the trigger")

DaemonError = podgate.DaemonError


class Daemon(podgate.Podgate):
    """--no-huge --no-pci -m 512 -l 0-1, its own --file-prefix, --stats-json
    and --metrics-listen 127.0.0.1:0 (or off)."""

    def __init__(self, workdir: str, name: str, vdevs: list[str], options: list[str], metrics: bool = True):
        super().__init__(workdir, name, vdevs, [*BASE_OPTIONS, *options], kind="live",
                         metrics_listen="127.0.0.1:0" if metrics else "off")

    def reload_latencies(self) -> list[tuple[str, int, float]]:
        """(trigger, generation, ms) of every "live on all workers" line."""
        return [(m.group(1), int(m.group(2)), float(m.group(3))) for m in RELOAD_LINE.finditer(self.log())]
