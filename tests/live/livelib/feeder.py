"""Paced traffic into a net_pcap vdev through a named pipe.

net_pcap reads `rx_pcap=` with libpcap, which reads a FIFO as happily as a
file: the test writes the pcap header, then records at the pace it chooses,
and knows exactly which packets went in. EOF (closing the pipe) ends the
stream. The PMD's RX blocks until it has a whole burst (or EOF), so records
are written in chunks of the daemon's burst size; a worker waiting on the pipe
has not yet passed its quiescent point, so a reload becomes live only once the
next chunk arrives — keep the pace brisk (a chunk every millisecond or two)."""

import errno
import os
import threading
import time

from podgate_harness import pcap


def record(frame: bytes, index: int) -> bytes:
    return pcap.record(frame, index, step_us=10)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def open_writer(fifo: str, stop: threading.Event) -> int | None:
    """The FIFO's write end, once the daemon opened its read end (None when
    `stop` is set first). O_NONBLOCK open fails with ENXIO until then;
    polling keeps `stop` effective when the daemon never starts."""
    while not stop.is_set():
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:
                raise
            time.sleep(0.005)
            continue
        os.set_blocking(fd, True)
        return fd
    return None


def make_fifo(path: str) -> str:
    if os.path.exists(path):
        os.remove(path)
    os.mkfifo(path)
    return path


class Feeder(threading.Thread):
    """Writes `frames` (cycling through them when `cycle`) into `fifo`,
    `chunk` records per write, at `rate` packets per second, until `limit`
    packets are written or stop() is called; then closes the pipe.
    `written` counts records fully handed to the pipe."""

    def __init__(self, fifo: str, frames: list[bytes], rate: float, chunk: int = 32, cycle: bool = False,
                 limit: int | None = None):
        super().__init__(daemon=True)
        self.fifo = make_fifo(fifo)
        self._frames = frames
        self._rate = rate
        self._chunk = chunk
        self._cycle = cycle
        self._limit = limit if limit is not None else (None if cycle else len(frames))
        self._stop_event = threading.Event()
        self.written = 0
        self.error = None
        self.started_at = None
        self.finished_at = None

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        try:
            fd = open_writer(self.fifo, self._stop_event)
            if fd is None:
                return
            try:
                _write_all(fd, pcap.HEADER)
                self.started_at = time.monotonic()
                n = len(self._frames)
                while not self._stop_event.is_set() and (self._limit is None or self.written < self._limit):
                    count = self._chunk if self._limit is None else min(self._chunk, self._limit - self.written)
                    data = b"".join(record(self._frames[(self.written + i) % n], self.written + i)
                                    for i in range(count))
                    _write_all(fd, data)
                    self.written += count
                    due = self.started_at + self.written / self._rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                self.finished_at = time.monotonic()
            finally:
                os.close(fd)
        except BrokenPipeError as e:
            self.error = f"the daemon closed the pipe after {self.written} packets: {e}"
        except OSError as e:
            self.error = f"writing {self.fifo}: {e}"


class StepFeeder:
    """Whole bursts on demand, for tests that act between packets: send()
    pads its frames with `filler` to a multiple of `burst` and returns once
    they are in the pipe; the daemon reads each burst in one rx_burst call.
    A reload becomes live only as bursts arrive (see the module comment):
    pump() sends filler bursts until a condition holds."""

    def __init__(self, fifo: str, filler: bytes, burst: int = 32):
        self.fifo = make_fifo(fifo)
        self._filler = filler
        self._burst = burst
        self._stop_event = threading.Event()
        self._fd = None
        self._opener = threading.Thread(target=self._open, daemon=True)
        self.sent = 0
        self.sent_frames = []

    def _open(self) -> None:
        self._fd = open_writer(self.fifo, self._stop_event)
        if self._fd is not None:
            _write_all(self._fd, pcap.HEADER)

    def start(self) -> "StepFeeder":
        self._opener.start()
        return self

    def stop(self) -> None:
        """Closes the pipe (EOF for the daemon)."""
        self._stop_event.set()
        self._opener.join(5)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def join(self, timeout=None) -> None:
        pass  # nothing runs in the background once open

    def send(self, frames_: list[bytes]) -> list[int]:
        """Input indices of `frames_` (fillers get the others)."""
        self._opener.join(10)
        if self._fd is None:
            raise RuntimeError(f"{self.fifo}: the daemon never opened it")
        pad = -len(frames_) % self._burst
        chunk = list(frames_) + [self._filler] * pad
        _write_all(self._fd, b"".join(record(f, self.sent + i) for i, f in enumerate(chunk)))
        first = self.sent
        self.sent += len(chunk)
        self.sent_frames += chunk
        return list(range(first, first + len(frames_)))

    def pump(self, what: str, cond, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {timeout} s of filler bursts")
            self.send([self._filler] * self._burst)
            time.sleep(0.002)
