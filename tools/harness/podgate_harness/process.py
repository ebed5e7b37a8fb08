"""A background process whose output goes to a log file: readiness is waited
for by an event (a log line, a condition), never by a fixed sleep; stopping
signals it, waits, and kills it if it lingers."""

import os
import re
import signal
import subprocess
import time


class ProcessError(Exception):
    pass


class Process:
    """Started with start(); `name` appears in every error message."""

    def __init__(self, argv: list[str], log_path: str, name: str, stdin_pipe: bool = False,
                 new_session: bool = False):
        self.argv = argv
        self.log_path = log_path
        self.name = name
        self._stdin_pipe = stdin_pipe
        self._new_session = new_session
        self.proc = None
        self._log_file = None

    def start(self) -> "Process":
        self._log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE if self._stdin_pipe else subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     start_new_session=self._new_session)
        return self

    @property
    def returncode(self):
        return None if self.proc is None else self.proc.returncode

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- log --------------------------------------------------------------
    def log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_log(self, pattern: str, timeout: float, after: int = 0) -> re.Match:
        """The first match of `pattern` in the log past character `after`;
        fails early when the process exits."""
        rx = re.compile(pattern)
        return self.wait_until(f"a log line /{pattern}/", lambda: rx.search(self.log(), after), timeout, 0.02)

    def wait_until(self, what: str, cond, timeout: float, interval: float = 0.05):
        """cond()'s first true value; ProcessError if the process exits or
        `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if not self.running():
                raise ProcessError(f"{self.name} exited {self.returncode} before {what}: "
                                   f"{' '.join(self.argv)}\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ProcessError(f"{self.name}: no {what} within {timeout} s:\n{self.tail()}")
            time.sleep(interval)

    # -- stop -------------------------------------------------------------
    def send_signal(self, sig: int) -> None:
        if not self.running():
            raise ProcessError(f"{self.name} is not running (exit {self.returncode}):\n{self.tail()}")
        self._signal(sig)

    def _signal(self, sig: int) -> None:
        if self._new_session:
            try:
                os.killpg(self.proc.pid, sig)  # start_new_session made the pid the group id
            except ProcessLookupError:
                pass
        else:
            self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Signals the process (Enter on stdin instead when it has a pipe),
        waits and returns its exit code; kills it and raises ProcessError
        when it does not stop within `timeout`."""
        if self.running():
            if self._stdin_pipe:
                try:
                    self.proc.stdin.write(b"\n")  # dpdk-testpmd: "Press enter to exit"
                    self.proc.stdin.close()
                except OSError:
                    pass
            else:
                self._signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ProcessError(f"{self.name} did not stop within {timeout} s of signal {sig}:\n{self.tail()}") \
                from None
        finally:
            self.close()

    def kill(self) -> None:
        if self.running():
            self._signal(signal.SIGKILL)
            self.proc.wait()

    def close(self) -> None:
        """Whatever state it is in: killed (only this process), log closed."""
        if self.proc is not None:
            self.kill()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
