"""A client for DPDK's telemetry socket (dpdk_telemetry.v2), to read any DPDK
process's counters from outside: /ethdev/stats,N for testpmd and podgate
alike, /podgate/stats for podgate's own counters."""

import json
import os
import socket
import time

RUNTIME_ROOT = "/var/run/dpdk"


def socket_path(prefix: str) -> str:
    return os.path.join(RUNTIME_ROOT, prefix, "dpdk_telemetry.v2")


class Telemetry:
    def __init__(self, prefix: str, timeout_s: float = 120.0, alive=None):
        """Connects once the process has created its socket; `alive()` returning
        False (the process died) stops the wait early."""
        path = socket_path(prefix)
        deadline = time.monotonic() + timeout_s
        last_error = None
        while time.monotonic() < deadline:
            if alive is not None and not alive():
                raise RuntimeError("process exited before its telemetry socket appeared")
            if os.path.exists(path):
                try:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                    self._sock.connect(path)
                    info = json.loads(self._sock.recv(16384).decode())
                    self.max_output = info.get("max_output_len", 16384)
                    return
                except OSError as e:
                    last_error = e
                    self._sock.close()
            time.sleep(0.1)
        raise RuntimeError(f"no telemetry socket at {path} after {timeout_s:.0f} s ({last_error})")

    def query(self, command: str):
        self._sock.send(command.encode())
        reply = json.loads(self._sock.recv(max(self.max_output, 65536)).decode())
        key = command.split(",", 1)[0]
        return reply.get(key)

    def close(self):
        self._sock.close()

    def ports(self):
        """{port id: device name}."""
        return {p: self.query(f"/ethdev/info,{p}")["name"] for p in self.query("/ethdev/list")}

    def totals(self, rx_ports, tx_ports):
        """(packets received on rx_ports, packets sent on tx_ports, monotonic
        time of the reading)."""
        rx = sum(self.query(f"/ethdev/stats,{p}")["ipackets"] for p in rx_ports)
        tx = sum(self.query(f"/ethdev/stats,{p}")["opackets"] for p in tx_ports)
        return rx, tx, time.monotonic()
