"""Real clients and servers (Debian packages: python3 http.server, curl,
socat, ping, tcpdump), run inside one side's network namespace.
Clients bind the source address of the pod (or outside client) they act as."""

import ipaddress
import os
import re
import signal
import time

from . import procs
from .topology import Side, Topology


def _bracketed(addr: str) -> str:
    """IPv6 literals in URLs and socat addresses."""
    return f"[{addr}]" if ":" in addr else addr


class Tools:
    def __init__(self, topo: Topology, registry: procs.Registry, workdir: str):
        self.topo = topo
        self.registry = registry
        self.workdir = workdir
        self._echo_count = 0

    def ns(self, side: Side) -> list:
        return self.topo.exec_prefix(side)

    def path(self, name: str) -> str:
        return os.path.join(self.workdir, name)

    # --- readiness -------------------------------------------------------

    def wait_listening(self, side: Side, proto: str, port: int, p=None, timeout: float = 5.0):
        flag = {"tcp": "-Hltn", "udp": "-Hlun", "sctp": "-HlSn"}[proto]

        def up():
            if p is not None and p.poll() is not None:
                raise RuntimeError(f"{p.name} exited {p.returncode}: {open(p.err_path).read()}")
            out = procs.run(self.ns(side) + ["ss", flag, f"sport = :{port}"], 5).out
            return out.strip() != ""

        if not procs.wait_for(up, timeout):
            raise RuntimeError(f"nothing listens on {proto} port {port} in {side.netns}")

    # --- HTTP --------------------------------------------------------------

    def http_server(self, side: Side, addr: str, port: int, directory: str):
        """python3 -m http.server; its stderr logs one line per request,
        starting with the client's address (see served_to)."""
        p = self.registry.start(self.ns(side) + ["/usr/bin/python3", "-u", "-m", "http.server", "--bind", addr,
                                                 "--directory", directory, str(port)], f"http-{port}")
        self.wait_listening(side, "tcp", port, p)
        return p

    @staticmethod
    def served_to(server) -> list:
        """Client addresses of the requests an http_server answered."""
        with open(server.err_path, errors="replace") as f:
            return [m.group(1) for m in re.finditer(r"^(\S+) - - \[.*\] \"GET ", f.read(), re.M)]

    def curl(self, side: Side, src: str, url: str, timeout: float, extra: list = (), glob: bool = False) -> procs.Done:
        """One curl run; stdout is the -w line(s): http_code num_connects
        size_download time_total. glob: expand [1-N] in the URL (IPv4 only:
        without it, -g keeps an IPv6 literal's brackets literal)."""
        argv = self.ns(side) + ["curl", "-sS", *([] if glob else ["-g"]), "--interface", src,
                                "--connect-timeout", str(timeout), "--max-time", str(timeout + 30), "-w",
                                "%{http_code} %{num_connects} %{size_download} %{time_total}\n", *extra, url]
        return procs.run(argv, timeout + 40)

    def url(self, addr: str, port: int, path: str) -> str:
        return f"http://{_bracketed(addr)}:{port}/{path}"

    # --- datagram and stream echo (socat) ---------------------------------

    def echo_server(self, side: Side, proto: str, addr: str, port: int):
        """socat echo for udp, tcp or sctp; every peer is appended to
        <out_path>.peers (SOCAT_PEERADDR of each forked child)."""
        listen = proto.upper() + ("6" if ":" in addr else "4") + "-LISTEN"
        self._echo_count += 1
        peers = self.path(f"echo-{self._echo_count}-{proto}-{port}.peers")
        p = self.registry.start(
            self.ns(side) + ["socat", "-T", "3", f"{listen}:{port},bind={_bracketed(addr)},reuseaddr,fork",
                             f"SYSTEM:echo $SOCAT_PEERADDR >>{peers}; cat"], f"echo-{proto}-{port}")
        p.peers_path = peers
        self.wait_listening(side, proto, port, p)
        return p

    @staticmethod
    def echo_peers(server) -> list:
        """Peers the echo server forked for, in the form given to the
        clients (socat writes IPv6 fully expanded, in brackets)."""
        try:
            with open(server.peers_path) as f:
                return [str(ipaddress.ip_address(line.strip().strip("[]"))) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def echo_request(self, side: Side, proto: str, src: str, dst: str, port: int, payload: bytes,
                     wait: float) -> procs.Done:
        """Sends payload and prints what comes back within `wait` seconds."""
        connect = {"udp": "UDP", "tcp": "TCP", "sctp": "SCTP"}[proto]
        argv = self.ns(side) + ["socat", "-t", str(wait), "-T", str(wait + 1), "-",
                                f"{connect}:{_bracketed(dst)}:{port},bind={_bracketed(src)}"
                                + (",connect-timeout=" + str(wait) if proto != "udp" else "")]
        return procs.run(argv, wait + 10, stdin_data=payload)

    # --- ICMP --------------------------------------------------------------

    def ping(self, side: Side, src: str, dst: str, count: int = 2) -> procs.Done:
        argv = self.ns(side) + ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", "1", "-I", src, dst]
        return procs.run(argv, count + 10)

    @staticmethod
    def ping_received(done: procs.Done) -> int:
        m = re.search(r"(\d+) received", done.out)
        return int(m.group(1)) if m else 0

    # --- what the far side saw --------------------------------------------

    def capture(self, side: Side, bpf: str, name: str):
        return Capture(self, side, bpf, name)


class Capture:
    """tcpdump on one namespace end, for "the packet never arrived" claims.
    ARP and neighbour discovery always cross podgate: they are not counted."""

    def __init__(self, tools: Tools, side: Side, bpf: str, name: str):
        self.tools = tools
        self.side = side
        self.bpf = f"(ip or ip6) and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137) and ({bpf})"
        self.file = tools.path(re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".pcap")
        self.proc = None

    def __enter__(self):
        self.proc = self.tools.registry.start(
            self.tools.ns(self.side) + ["tcpdump", "-i", self.side.dev, "-n", "-U", "-w", self.file, self.bpf],
            "tcpdump")
        if not procs.wait_for(lambda: "listening on" in open(self.proc.err_path).read(), 5):
            raise RuntimeError(f"tcpdump did not start: {open(self.proc.err_path).read()}")
        return self

    def __exit__(self, *exc):
        time.sleep(0.1)  # what is in flight
        self.tools.registry.stop(self.proc, sig=signal.SIGINT)
        return False

    def packets(self) -> list:
        out = procs.run(["tcpdump", "-n", "-r", self.file], 10).out
        return [line for line in out.splitlines() if line.strip()]
