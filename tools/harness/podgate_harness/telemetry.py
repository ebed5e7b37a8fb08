"""DPDK telemetry v2 from outside the process: the raw SOCK_SEQPACKET socket
(connect, read the greeting, send a command, read one JSON reply), and the
same through DPDK's own client, dpdk-telemetry.py, which reads commands from
stdin when stdin is not a terminal and prints one JSON line per command.
Works on any DPDK process: podgate's /podgate/* commands and /ethdev/stats of
podgate and testpmd alike."""

import json
import os
import socket
import subprocess
import time

from . import eal

TELEMETRY_SCRIPT = "/usr/bin/dpdk-telemetry.py"


class TelemetryError(Exception):
    pass


def socket_path(prefix: str) -> str:
    return os.path.join(eal.runtime_dir(prefix), "dpdk_telemetry.v2")


class Client:
    """One connection, any number of commands; the greeting is kept.
    wait_s > 0 waits that long for the socket to appear (`alive()` returning
    False, the process died, ends the wait early)."""

    def __init__(self, prefix: str, timeout: float = 15.0, wait_s: float = 0.0, alive=None):
        self.path = socket_path(prefix)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self._connect(timeout)
                break
            except TelemetryError:
                if time.monotonic() >= deadline:
                    raise
                if alive is not None and not alive():
                    raise TelemetryError(f"the process exited before {self.path} answered") from None
                time.sleep(0.1)
        self._max = max(int(self.greeting.get("max_output_len", 16384)), 65536)

    def _connect(self, timeout: float) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(self.path)
            self.greeting = json.loads(self._sock.recv(1 << 16).decode())
        except (OSError, ValueError) as e:
            self._sock.close()
            raise TelemetryError(f"telemetry {self.path}: {e}") from None

    def command(self, cmd: str):
        """The reply's value for `cmd` (the part before ',' is the key)."""
        try:
            self._sock.send(cmd.encode())
            raw = self._sock.recv(self._max)
        except OSError as e:
            raise TelemetryError(f"telemetry {cmd}: {e}") from None
        if not raw:
            raise TelemetryError(f"telemetry {cmd}: the process closed the socket")
        try:
            reply = json.loads(raw.decode())
        except ValueError as e:
            raise TelemetryError(f"telemetry {cmd}: not JSON ({e}): {raw[:200]!r}") from None
        key = cmd.split(",", 1)[0]
        if key not in reply:
            raise TelemetryError(f"telemetry {cmd}: reply without '{key}': {reply}")
        return reply[key]

    def ethdev_totals(self, rx_ports, tx_ports) -> tuple[int, int, float]:
        """(packets received on rx_ports, packets sent on tx_ports, monotonic
        time of the reading) from /ethdev/stats."""
        rx = sum(self.command(f"/ethdev/stats,{p}")["ipackets"] for p in rx_ports)
        tx = sum(self.command(f"/ethdev/stats,{p}")["opackets"] for p in tx_ports)
        return rx, tx, time.monotonic()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def query(prefix: str, cmd: str, timeout: float = 15.0):
    with Client(prefix, timeout) as c:
        return c.command(cmd)


def query_with_script(prefix: str, commands: list[str], timeout: float = 30.0) -> list:
    """Runs dpdk-telemetry.py -f PREFIX with the commands on stdin; returns
    the reply of each command (the value under its key)."""
    # The script's shebang finds the pyenv python first; it needs only the
    # standard library, so the system interpreter is as good and always there.
    proc = subprocess.run(["/usr/bin/python3", TELEMETRY_SCRIPT, "-f", prefix], input="\n".join(commands) + "\n",
                          capture_output=True, text=True, timeout=timeout)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or len(lines) != len(commands):
        raise TelemetryError(f"dpdk-telemetry.py -f {prefix} exited {proc.returncode} with {len(lines)} lines for "
                             f"{len(commands)} commands: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    out = []
    for cmd, line in zip(commands, lines):
        reply = json.loads(line)
        key = cmd.split(",", 1)[0]
        if key not in reply:
            raise TelemetryError(f"dpdk-telemetry.py {cmd}: reply without '{key}': {line[:300]}")
        out.append(reply[key])
    return out
