"""A bump-in-the-wire topology of the test's own: two network namespaces,
"client" and "server", each holding one end of a veth pair whose other end
stays in the root namespace for podgate's net_af_packet ports:

    client ns: <name>c1 --- <name>c0 [podgate port 0 | port 1] <name>s0 --- <name>s1 :server ns

No addresses, IPv6 off on every end: the kernels neither answer nor chatter,
so what crosses podgate is exactly what the test sends. Sockets are AF_PACKET
sockets opened inside the namespaces (setns on this thread, then back), so no
helper process is needed. teardown() removes everything, whatever state it is
in; all traffic stays on these veths."""

import ctypes
import os
import select
import shutil
import socket
import subprocess
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

_libc = ctypes.CDLL(None, use_errno=True)


def unavailable() -> str | None:
    """Why the topology cannot be built here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, veth pairs)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip"
    return None


def _run(*cmd: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")


class Topology:
    def __init__(self, tag: str):
        # Interface names hold at most 15 characters.
        self.tag = tag
        self.ns = {"client": f"podgate-live-{tag}-client", "server": f"podgate-live-{tag}-server"}
        self.root = {"client": f"pgl{tag}c0", "server": f"pgl{tag}s0"}
        self.inner = {"client": f"pgl{tag}c1", "server": f"pgl{tag}s1"}
        self._sockets = {}

    def setup(self) -> "Topology":
        try:
            for side in ("client", "server"):
                ns, root, inner = self.ns[side], self.root[side], self.inner[side]
                _run("ip", "netns", "add", ns)
                _run("ip", "link", "add", root, "type", "veth", "peer", "name", inner, "netns", ns)
                _run("sysctl", "-qw", f"net.ipv6.conf.{root}.disable_ipv6=1")
                _run("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{inner}.disable_ipv6=1")
                _run("ip", "link", "set", root, "up")
                _run("ip", "-n", ns, "link", "set", inner, "up")
                _run("ip", "-n", ns, "link", "set", "lo", "up")
        except Exception:
            self.teardown()
            raise
        return self

    def vdevs(self) -> list[str]:
        return [f"net_af_packet0,iface={self.root['client']}", f"net_af_packet1,iface={self.root['server']}"]

    def sock(self, side: str) -> socket.socket:
        """A raw socket on the namespace end of `side` (cached)."""
        if side not in self._sockets:
            self._sockets[side] = self._open_in(self.ns[side], self.inner[side])
        return self._sockets[side]

    @staticmethod
    def _open_in(ns: str, iface: str) -> socket.socket:
        home = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {ns}")
            try:
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                s.bind((iface, 0))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            finally:
                if _libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back to the test's namespace")
        finally:
            os.close(target)
            os.close(home)
        return s

    def send(self, side: str, frame: bytes) -> None:
        self.sock(side).send(frame)

    def receive(self, side: str, timeout: float) -> list[bytes]:
        """Frames that arrived on `side`'s namespace end within `timeout`
        (stops early once a quiet 50 ms follows a frame)."""
        s = self.sock(side)
        got, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if got:
                left = min(left, 0.05)
            if left <= 0 or not select.select([s], [], [], left)[0]:
                return got
            data, addr = s.recvfrom(65535)
            if addr[2] != PACKET_OUTGOING:  # not what this end sent itself
                got.append(data)

    def drain(self) -> None:
        for side in ("client", "server"):
            self.receive(side, 0.01)

    def teardown(self) -> None:
        for s in self._sockets.values():
            s.close()
        self._sockets.clear()
        for side in ("client", "server"):
            subprocess.run(["ip", "link", "del", self.root[side]], capture_output=True, timeout=30)
            subprocess.run(["ip", "netns", "del", self.ns[side]], capture_output=True, timeout=30)
