"""A podgate process that stays up while a test talks to it: started with its
own --file-prefix, its log (stdout and stderr) in a file the test can wait on,
telemetry and /metrics at hand, stopped with a signal and its runtime
directory removed afterwards."""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from . import telemetry

_counter = 0

# What every live test passes: small memory, no busy-polling an idle port
# (two CPUs shared by everyone), counters only at exit.
EAL_ARGS = ["--no-huge", "--no-pci", "-m", "512", "-l", "0-1"]
BASE_OPTIONS = ["--idle-sleep-us", "50", "--stats-interval", "0"]

RELOAD_LINE = re.compile(r"reload \((\w+)\): generation (\d+) live on all workers ([0-9.]+) ms after the trigger")


class DaemonError(Exception):
    pass


class Binaries:
    podgate = ""
    policy = ""
    traffic = ""


class Daemon:
    def __init__(self, workdir: str, name: str, vdevs: list[str], options: list[str], metrics: bool = True):
        global _counter
        _counter += 1
        self.name = name
        self.prefix = f"podgate-live-{os.getpid()}-{_counter}"
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.stats_path = os.path.join(workdir, f"{name}-stats.json")
        for path in (self.log_path, self.stats_path):
            if os.path.exists(path):
                os.remove(path)
        metrics_opt = ["--metrics-listen", "127.0.0.1:0" if metrics else "off"]
        self.command = [Binaries.podgate, *EAL_ARGS, "--file-prefix", self.prefix,
                        *[a for v in vdevs for a in ("--vdev", v)],
                        "--", *BASE_OPTIONS, "--stats-json", self.stats_path, *metrics_opt, *options]
        self.proc = None
        self.metrics_port = None
        self._log_file = None

    # -- process --------------------------------------------------------
    def start(self, ready_timeout: float = 30.0) -> "Daemon":
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.command, stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.wait_log(r"\d+ worker\(s\) running", ready_timeout)
        m = re.search(r"metrics on http://\S+ \(port (\d+)\)", self.log())
        self.metrics_port = int(m.group(1)) if m else None
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        if not self.running():
            raise DaemonError(f"podgate ({self.name}) is not running (exit {self.proc.returncode}):\n{self.tail()}")
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Signals the daemon, waits for it and returns its exit code."""
        if self.running():
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise DaemonError(f"podgate ({self.name}) did not stop within {timeout} s of signal {sig}:\n{self.tail()}")
        finally:
            self._cleanup()
        return rc

    def close(self) -> None:
        """Whatever state it is in: kill it (only this process) and clean up."""
        if self.running():
            self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        shutil.rmtree(os.path.join(telemetry.RUNTIME_DIR, self.prefix), ignore_errors=True)

    # -- log ------------------------------------------------------------
    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_log(self, pattern: str, timeout: float, after: int = 0) -> re.Match:
        """The first match of `pattern` in the log past character `after`;
        fails early when the daemon exits."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(), after)
            if m:
                return m
            if not self.running():
                raise DaemonError(f"podgate ({self.name}) exited {self.proc.returncode} before logging "
                                  f"/{pattern}/: {' '.join(self.command)}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise DaemonError(f"podgate ({self.name}) did not log /{pattern}/ within {timeout} s:\n{self.tail()}")
            time.sleep(0.02)

    def reload_latencies(self) -> list[tuple[str, int, float]]:
        """(trigger, generation, ms) of every "live on all workers" line."""
        return [(m.group(1), int(m.group(2)), float(m.group(3))) for m in RELOAD_LINE.finditer(self.log())]

    # -- control --------------------------------------------------------
    def tel(self, cmd: str) -> dict:
        return telemetry.query(self.prefix, cmd)

    def client(self) -> telemetry.Client:
        return telemetry.Client(self.prefix)

    def wait_until(self, what: str, cond, timeout: float = 10.0, cmd: str = "/podgate/stats") -> dict:
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
        """GET /metrics with curl (a real HTTP client)."""
        if self.metrics_port is None:
            raise DaemonError(f"podgate ({self.name}) logged no metrics port:\n{self.tail()}")
        proc = subprocess.run(["curl", "-sS", "--fail", "--max-time", "10",
                               f"http://127.0.0.1:{self.metrics_port}/metrics"],
                              capture_output=True, text=True, timeout=20)
        if proc.returncode != 0:
            raise DaemonError(f"curl /metrics exited {proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    def final_stats(self) -> dict:
        try:
            with open(self.stats_path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise DaemonError(f"podgate ({self.name}) wrote no usable --stats-json ({e}):\n{self.tail()}") from None


def _unescape(value: str) -> str:
    """A label value as the text format escapes it: \\\\, \\" and \\n."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_metrics(text: str) -> dict:
    """Prometheus text -> {(name, frozenset(labels.items())): value}; checks
    that every sample's family has # HELP and # TYPE lines before it."""
    samples, typed = {}, set()
    label_rx = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not m:
            raise ValueError(f"not a sample line: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if name not in typed:
            raise ValueError(f"sample {name} before its # TYPE line")
        parsed = {k: _unescape(v) for k, v in label_rx.findall(labels)}
        samples[(name, frozenset(parsed.items()))] = float(value)
    return samples


def metric(samples: dict, name: str, /, **labels) -> float:
    key = (name, frozenset(labels.items()))
    if key not in samples:
        have = [dict(k[1]) for k in samples if k[0] == name] or "none"
        raise KeyError(f"no sample {name}{labels}; samples of {name}: {have}")
    return samples[key]
