"""The podgate daemon driven from outside: its command line (EAL arguments
with a --file-prefix of its own, then podgate's options after `--`), a
process that stays up while a caller talks to it (telemetry, /metrics) and
writes --stats-json when SIGINT stops it, and a run to exit for
--exit-on-idle replays."""

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass

from . import binaries, eal, metrics, telemetry
from .process import Process, ProcessError

READY_LINE = r"\d+ worker\(s\) running"  # logged once every worker polls (at --log-level info)
_METRICS_LINE = re.compile(r"metrics on http://\S+ \(port (\d+)\)")

DaemonError = ProcessError


def command(prefix: str, vdevs: list[str], options: list[str], memory: list[str] | None = None,
            cores: list[str] | None = None, binary: str | None = None) -> list[str]:
    """podgate EAL-ARGS -- OPTIONS (see eal.args for the defaults)."""
    return [binary or binaries.find("podgate"), *eal.args(prefix, vdevs, memory, cores), "--", *options]


class Podgate:
    """One daemon. Its log is WORKDIR/NAME.log, its --stats-json
    WORKDIR/NAME-stats.json; `metrics_listen` None leaves the option out;
    `new_session` keeps a terminal's Ctrl-C from reaching it (the caller
    stops it)."""

    def __init__(self, workdir: str, name: str, vdevs: list[str], options: list[str], kind: str = "run",
                 metrics_listen: str | None = "127.0.0.1:0", memory: list[str] | None = None,
                 cores: list[str] | None = None, binary: str | None = None, stats_json: bool = True,
                 new_session: bool = False):
        self.name = name
        self.prefix = eal.unique_prefix(kind)
        self.stats_path = os.path.join(workdir, f"{name}-stats.json") if stats_json else None
        log_path = os.path.join(workdir, f"{name}.log")
        for path in (log_path, self.stats_path):
            if path and os.path.exists(path):
                os.remove(path)
        extra = ["--stats-json", self.stats_path] if stats_json else []
        extra += ["--metrics-listen", metrics_listen] if metrics_listen is not None else []
        self.command = command(self.prefix, vdevs, [*extra, *options], memory, cores, binary)
        self.process = Process(self.command, log_path, f"podgate ({name})", new_session=new_session)
        self.metrics_port = None

    # -- process --------------------------------------------------------
    @property
    def proc(self):
        return self.process.proc

    def start(self, ready_timeout: float = 30.0, ready: str | None = READY_LINE) -> "Podgate":
        """Starts it and, unless `ready` is None, waits for that log line."""
        self.process.start()
        if ready is not None:
            self.process.wait_log(ready, ready_timeout)
            m = _METRICS_LINE.search(self.log())
            self.metrics_port = int(m.group(1)) if m else None
        return self

    def running(self) -> bool:
        return self.process.running()

    def send_signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Signals the daemon, waits for it and returns its exit code."""
        try:
            return self.process.stop(sig, timeout)
        finally:
            eal.remove_runtime(self.prefix)

    def close(self) -> None:
        """Whatever state it is in: kill it (only this process) and clean up."""
        self.process.close()
        eal.remove_runtime(self.prefix)

    # -- log ------------------------------------------------------------
    def log(self) -> str:
        return self.process.log()

    def tail(self, lines: int = 40) -> str:
        return self.process.tail(lines)

    def wait_log(self, pattern: str, timeout: float, after: int = 0) -> re.Match:
        return self.process.wait_log(pattern, timeout, after)

    # -- control --------------------------------------------------------
    def tel(self, cmd: str):
        return telemetry.query(self.prefix, cmd)

    def client(self, wait_s: float = 0.0) -> telemetry.Client:
        return telemetry.Client(self.prefix, wait_s=wait_s, alive=self.running)

    def wait_until(self, what: str, cond, timeout: float = 10.0, cmd: str = "/podgate/stats"):
        """Polls telemetry `cmd` until cond(reply) holds; returns the reply."""
        deadline = time.monotonic() + timeout
        with self.client() as c:
            while True:
                reply = c.command(cmd)
                if cond(reply):
                    return reply
                if not self.running():
                    raise DaemonError(f"podgate ({self.name}) exited while waiting for {what}:\n{self.tail()}")
                if time.monotonic() > deadline:
                    raise DaemonError(f"podgate ({self.name}): no {what} within {timeout} s; last {cmd}: {reply}")
                time.sleep(0.005)

    def wait_settled(self, rx: int, what: str = "", timeout: float = 10.0) -> dict:
        """/podgate/stats once `rx` packets were received and each of them
        was forwarded or dropped (rx is counted before a burst is handled)."""
        return self.wait_until(f"{rx} packets received and handled {what}".rstrip(),
                               lambda s: s["rx"] >= rx and s["tx"] + s["dropped_total"] == s["rx"], timeout)

    def metrics(self) -> str:
        """The /metrics page (curl)."""
        if self.metrics_port is None:
            raise DaemonError(f"podgate ({self.name}) logged no metrics port:\n{self.tail()}")
        return metrics.fetch(self.metrics_port)

    def samples(self) -> dict:
        """The /metrics page parsed (metrics.parse)."""
        return metrics.parse(self.metrics())

    def final_stats(self) -> dict:
        """The --stats-json document written at exit."""
        try:
            with open(self.stats_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, TypeError, ValueError) as e:
            raise DaemonError(f"podgate ({self.name}) wrote no usable --stats-json ({e}):\n{self.tail()}") from None


@dataclass
class Exited:
    stats: dict
    command: list[str]
    log: str
    seconds: float


def run_to_exit(workdir: str, name: str, vdevs: list[str], options: list[str], kind: str = "run",
                cores: list[str] | None = None, timeout: float = 120.0) -> Exited:
    """A run that ends by itself (--exit-on-idle, ...): the stats JSON it
    wrote, its log; DaemonError when it fails, hangs or writes no stats."""
    prefix = eal.unique_prefix(kind)
    stats_path = os.path.join(workdir, f"{name}-stats.json")
    if os.path.exists(stats_path):
        os.remove(stats_path)
    cmd = command(prefix, vdevs, [*options, "--stats-json", stats_path], cores=cores)
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise DaemonError(f"podgate did not stop within {e.timeout} s: {' '.join(cmd)}") from None
    finally:
        eal.remove_runtime(prefix)
    seconds = time.monotonic() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise DaemonError(f"podgate exited {proc.returncode}: {' '.join(cmd)}\n{log}")
    try:
        with open(stats_path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        raise DaemonError(f"podgate wrote no usable --stats-json ({e}): {' '.join(cmd)}\n{log}") from None
    return Exited(stats, cmd, log, seconds)
