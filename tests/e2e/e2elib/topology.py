"""The test bed: two network namespaces joined into one L2 segment by
podgate, which runs in the root namespace on the root ends of two veth
pairs:

    netns OUTSIDE (clients)          root namespace           netns PODS (servers)
    <out> ====veth==== <a>  --[podgate port 0 | port 1]--  <b> ====veth==== <pods>

Both namespaces hold addresses of the same subnets (192.0.2.0/24 and
2001:db8:2::/64), so ARP and neighbour discovery cross podgate too. Outside
clients that are not pods live in 198.51.100.0/24 and 203.0.113.0/24 on the
outside end; the pods end reaches them through on-link routes. Neither
namespace has a default route: nothing can leave the machine.

Every name carries a tag unique to the run (the harness's pid), so two runs
never collide; destroy() removes what create() made, also after a partial
create."""

import os
import subprocess
from dataclasses import dataclass, field

POD_PREFIX_V4 = 24
POD_PREFIX_V6 = 64
# Non-pod subnets living on the outside end: on-link routes on the pods end.
OUTSIDE_ONLY_ROUTES = ["198.51.100.0/24", "203.0.113.0/24"]


@dataclass
class Side:
    netns: str
    dev: str       # the namespace end of the veth pair
    root_dev: str  # the root end, a podgate port
    addresses: list = field(default_factory=list)  # "addr/prefix"


def sh(argv: list, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(argv, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


class Topology:
    def __init__(self, tag: str):
        self.tag = tag
        # Interface names have at most 15 characters: pg<tag><role>.
        self.outside = Side(f"pge2e-{tag}-outside", f"pg{tag}o", f"pg{tag}a")
        self.pods = Side(f"pge2e-{tag}-pods", f"pg{tag}p", f"pg{tag}b")
        self._made_ns: list[str] = []
        self._made_links: list[str] = []

    def sides(self):
        return (self.outside, self.pods)

    def exec_prefix(self, side: Side) -> list:
        return ["ip", "netns", "exec", side.netns]

    def create(self, outside_addrs: list, pods_addrs: list):
        """outside_addrs / pods_addrs: "addr/prefix" strings for each end."""
        self.outside.addresses = outside_addrs
        self.pods.addresses = pods_addrs
        for side in self.sides():
            sh(["ip", "netns", "add", side.netns])
            self._made_ns.append(side.netns)
            ns = self.exec_prefix(side)
            # No router solicitations, autoconfiguration or DAD: the
            # segment carries only the traffic the cases make.
            for key, value in (("accept_ra", 0), ("router_solicitations", 0), ("accept_dad", 0),
                               ("dad_transmits", 0)):
                for scope in ("all", "default"):
                    sh(ns + ["sysctl", "-q", "-w", f"net.ipv6.conf.{scope}.{key}={value}"])
            sh(["ip", "link", "add", side.root_dev, "type", "veth", "peer", "name", side.dev])
            self._made_links.append(side.root_dev)
            # The root end is a podgate port only: no IPv6 (no link-local
            # address, no MLD or router solicitation of its own), no IPv4.
            with open(f"/proc/sys/net/ipv6/conf/{side.root_dev}/disable_ipv6", "w") as f:
                f.write("1\n")
            sh(["ip", "link", "set", side.dev, "netns", side.netns])
            sh(["ip", "link", "set", side.root_dev, "up"])
            sh(ns + ["ip", "link", "set", "lo", "up"])
            sh(ns + ["ip", "link", "set", side.dev, "up"])
            # The kernel would leave checksums to an offload the root end
            # never performs; af_packet then hands DPDK half-made packets.
            sh(ns + ["ethtool", "-K", side.dev, "tx", "off"])
            for a in side.addresses:
                extra = ["nodad"] if ":" in a else []
                sh(ns + ["ip", "addr", "add", a, "dev", side.dev] + extra)
        for route in OUTSIDE_ONLY_ROUTES:
            sh(self.exec_prefix(self.pods) + ["ip", "route", "add", route, "dev", self.pods.dev])

    def destroy(self) -> list:
        """Removes our links and namespaces; returns what could not be removed."""
        problems = []
        for link in reversed(self._made_links):
            if os.path.exists(f"/sys/class/net/{link}"):
                p = sh(["ip", "link", "del", link], check=False)
                if p.returncode != 0:
                    problems.append(f"link {link}: {p.stderr.strip()}")
        self._made_links.clear()
        for ns in reversed(self._made_ns):
            p = sh(["ip", "netns", "del", ns], check=False)
            if p.returncode != 0:
                problems.append(f"netns {ns}: {p.stderr.strip()}")
        self._made_ns.clear()
        return problems
