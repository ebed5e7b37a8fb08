"""Processes the harness starts: every one in its own process group, so it
and its children (a shell pipeline, socat's forks) are stopped by the id of
the process we started, and nothing else."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Done:
    argv: list
    rc: int
    out: str
    err: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.rc == -9


class Registry:
    """Background processes, stopped in reverse order by stop_all()."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self._live: list[subprocess.Popen] = []
        self._count = 0

    def start(self, argv: list, name: str, stdin=subprocess.DEVNULL) -> subprocess.Popen:
        """Starts argv in the background, stdout and stderr into
        WORKDIR/NAME.out and NAME.err (p.out_path, p.err_path)."""
        self._count += 1
        base = os.path.join(self.workdir, f"{self._count:05d}-{name}")
        out = open(base + ".out", "wb")
        err = open(base + ".err", "wb")
        try:
            p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, start_new_session=True)
        finally:
            out.close()
            err.close()
        p.out_path = base + ".out"
        p.err_path = base + ".err"
        p.name = name
        p.seq = self._count
        self._live.append(p)
        return p

    def stop(self, p: subprocess.Popen, sig=signal.SIGTERM, grace: float = 3.0) -> int:
        """Signals p's own process group, waits, and kills it if it lingers."""
        if p.poll() is None:
            _signal_group(p, sig)
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                _signal_group(p, signal.SIGKILL)
                p.wait(5)
        else:
            _signal_group(p, signal.SIGKILL)  # children a finished leader left behind
        if p in self._live:
            self._live.remove(p)
        return p.returncode

    def mark(self) -> int:
        return self._count

    def stop_since(self, mark: int):
        """Stops what was started after mark() (a case's servers and clients,
        also when the case failed half-way)."""
        for p in reversed(list(self._live)):
            if p.seq > mark:
                self.stop(p, grace=1.0)

    def stop_all(self):
        for p in reversed(list(self._live)):
            try:
                self.stop(p, grace=1.0)
            except Exception as e:  # keep cleaning up whatever happens
                print(f"e2e: cannot stop {p.name} (pid {p.pid}): {e}")


def _signal_group(p: subprocess.Popen, sig):
    try:
        os.killpg(p.pid, sig)  # start_new_session made p.pid the group id
    except ProcessLookupError:
        pass


def run(argv: list, timeout: float, stdin_data: bytes | None = None) -> Done:
    """Runs argv to completion (in its own process group; killed with its
    children after timeout, reported as rc -9)."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(stdin_data, timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        _signal_group(p, signal.SIGKILL)
        out, err = p.communicate()
        rc = -9
    except BaseException:
        _signal_group(p, signal.SIGKILL)
        p.wait()
        raise
    return Done(argv, rc, out.decode(errors="replace"), err.decode(errors="replace"), time.monotonic() - start)


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
