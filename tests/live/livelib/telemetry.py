"""DPDK telemetry v2 from outside the daemon: the raw SOCK_SEQPACKET socket
(connect, read the greeting, send a command, read one JSON reply) and the same
through DPDK's own client, dpdk-telemetry.py, which reads commands from stdin
when stdin is not a terminal and prints one JSON line per command."""

import json
import os
import socket
import subprocess

RUNTIME_DIR = "/var/run/dpdk"
TELEMETRY_SCRIPT = "/usr/bin/dpdk-telemetry.py"


class TelemetryError(Exception):
    pass


def socket_path(prefix: str) -> str:
    return os.path.join(RUNTIME_DIR, prefix, "dpdk_telemetry.v2")


class Client:
    """One connection, any number of commands; the greeting is kept."""

    def __init__(self, prefix: str, timeout: float = 15.0):
        self.path = socket_path(prefix)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(self.path)
            self.greeting = json.loads(self._sock.recv(1024).decode())
        except (OSError, ValueError) as e:
            self._sock.close()
            raise TelemetryError(f"telemetry {self.path}: {e}") from None
        self._max = int(self.greeting.get("max_output_len", 16384))

    def command(self, cmd: str) -> dict:
        """The reply's value for `cmd` (the part before ',' is the key)."""
        try:
            self._sock.send(cmd.encode())
            raw = self._sock.recv(self._max)
        except OSError as e:
            raise TelemetryError(f"telemetry {cmd}: {e}") from None
        if not raw:
            raise TelemetryError(f"telemetry {cmd}: the daemon closed the socket")
        try:
            reply = json.loads(raw.decode())
        except ValueError as e:
            raise TelemetryError(f"telemetry {cmd}: not JSON ({e}): {raw[:200]!r}") from None
        key = cmd.split(",", 1)[0]
        if key not in reply:
            raise TelemetryError(f"telemetry {cmd}: reply without '{key}': {reply}")
        return reply[key]

    def close(self) -> None:
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def query(prefix: str, cmd: str, timeout: float = 15.0) -> dict:
    with Client(prefix, timeout) as c:
        return c.command(cmd)


def query_with_script(prefix: str, commands: list[str], timeout: float = 30.0) -> list[dict]:
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
