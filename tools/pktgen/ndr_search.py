#!/usr/bin/python3
"""ndr_search: podgate's no-drop rate, by binary search on Pktgen-DPDK's
transmit rate, with loss counted exactly: every packet pktgen sent that
neither came back nor was dropped by policy (podgate's /metrics) is lost.

    tools/pktgen/ndr_search.py [--pktgen 127.0.0.1:22022] [--metrics http://127.0.0.1:9469/metrics]
        [--tx 0] [--rx 1] [--lo 0] [--hi 100] [--resolution 0.5] [--tolerance 0]
        [--warmup 2] [--window 10] [--drain 1] [--pcap]
    tools/pktgen/ndr_search.py --check-metrics [--metrics URL]   (reads podgate only)

pktgen runs with its socket on (-G, TCP 22022) and its ports wired to
podgate's (pktgen tx -> podgate port 0 -> podgate port 1 -> pktgen rx);
podgate runs with --metrics-listen. The pktgen half was NOT RUN HERE (no
pktgen on the build machine): it sends Lua for the 23.06 API over the socket
(pktgen.set, pktgen.start, pktgen.stop, pktgen.clr, pktgen.portStats) and
reads back what the Lua prints. --check-metrics exercises the podgate half.

A trial: read both sides' counters, start at the rate, wait warm-up +
window, stop, wait for the queues to drain, read both again. Counters are
read only while nothing is in flight, so the two sides agree exactly:

    lost = sent - returned - dropped by policy (policy-ingress, policy-egress,
           non-pod-denied)

A rate passes when lost <= tolerance x sent; the output breaks the loss
down (podgate NIC missed, tx-full, conntrack-full, the rest on the wires).
"""

import argparse
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "harness"))
from podgate_harness import counters, metrics  # noqa: E402


class Podgate:
    def __init__(self, url):
        self.url = url

    def counters(self, rx_port):
        with urllib.request.urlopen(self.url, timeout=5) as r:
            m = metrics.parse(r.read().decode())

        def pick(name, **labels):
            want = set(labels.items())
            return sum(v for (n, ls), v in m.items() if n == name and want <= set(ls))

        return {
            "rx": pick("podgate_port_rx_packets_total", port=str(rx_port)),
            "nic_missed": pick("podgate_port_nic_missed_total", port=str(rx_port)),
            "policy": sum(pick("podgate_dropped_packets_total", reason=r) for r in counters.policy_drop_reasons()),
            "tx_full": pick("podgate_dropped_packets_total", reason="tx-full"),
            "conntrack_full": pick("podgate_dropped_packets_total", reason="conntrack-full"),
            "malformed": pick("podgate_dropped_packets_total", reason="malformed"),
        }


class Pktgen:
    """Lua over pktgen's TCP socket; each call prints one marked line back."""

    def __init__(self, addr, tx, rx):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.buf = b""
        self.tx, self.rx = tx, rx

    def lua(self, code, want_reply=False):
        marker = "NDRSEARCH"
        if want_reply:
            code = f'{code}; print("{marker} " .. __r)'
        self.sock.sendall((code + "\n").encode())
        if not want_reply:
            return None
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl].decode(errors="replace"), self.buf[nl + 1:]
                if line.startswith(marker + " "):
                    return line[len(marker) + 1:]
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("pktgen closed the socket")
            self.buf += chunk

    def counters(self):
        reply = self.lua(
            f'local s = pktgen.portStats("{self.tx},{self.rx}", "port"); '
            f'__r = string.format("%d %d", s[{self.tx}].opackets, s[{self.rx}].ipackets)', want_reply=True)
        sent, returned = (int(x) for x in reply.split())
        return sent, returned

    def setup(self, pcap):
        self.lua('pktgen.screen("off"); pktgen.stop("all"); pktgen.set("all", "size", 64); '
                 'pktgen.set("all", "count", 0)')
        self.lua(f'pktgen.pcap("{self.tx}", "on")' if pcap else f'pktgen.set_range("{self.tx}", "on")')

    def start(self, rate):
        self.lua(f'pktgen.set("{self.tx}", "rate", {rate:.3f}); pktgen.start("{self.tx}")')

    def stop(self):
        self.lua(f'pktgen.stop("{self.tx}")')


def trial(pg, pd, args, rate):
    s0, r0 = pg.counters()
    c0 = pd.counters(args.podgate_rx_port)
    pg.start(rate)
    t0 = time.monotonic()
    time.sleep(args.warmup + args.window)
    pg.stop()
    secs = time.monotonic() - t0
    time.sleep(args.drain)
    s1, r1 = pg.counters()
    c1 = pd.counters(args.podgate_rx_port)
    d = {k: c1[k] - c0[k] for k in c0}
    sent, returned = s1 - s0, r1 - r0
    lost = sent - returned - d["policy"]
    return {"rate": rate, "sent": sent, "returned": returned, "lost": lost, "mpps": sent / secs / 1e6,
            "wire_in": sent - d["rx"] - d["nic_missed"], **d}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pktgen", default="127.0.0.1:22022")
    ap.add_argument("--metrics", default="http://127.0.0.1:9469/metrics")
    ap.add_argument("--tx", default="0", help="pktgen port wired to podgate's rx port")
    ap.add_argument("--rx", default="1", help="pktgen port wired to podgate's tx port")
    ap.add_argument("--podgate-rx-port", type=int, default=0)
    ap.add_argument("--lo", type=float, default=0.0)
    ap.add_argument("--hi", type=float, default=100.0)
    ap.add_argument("--resolution", type=float, default=0.5, help="percent of link speed")
    ap.add_argument("--tolerance", type=float, default=0.0, help="accepted lost fraction")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--drain", type=float, default=1.0)
    ap.add_argument("--pcap", action="store_true", help="pktgen replays a pcap (-s 0:FILE) instead of a range")
    ap.add_argument("--check-metrics", action="store_true", help="print podgate's counters and exit")
    args = ap.parse_args(argv)

    pd = Podgate(args.metrics)
    if args.check_metrics:
        for k, v in pd.counters(args.podgate_rx_port).items():
            print(f"{k:15s} {v:.0f}")
        return 0

    pg = Pktgen(args.pktgen, args.tx, args.rx)
    pg.setup(args.pcap)
    lo, hi, best = args.lo, args.hi, None
    while hi - lo > args.resolution:
        mid = (lo + hi) / 2
        r = trial(pg, pd, args, mid)
        ok = r["sent"] > 0 and r["lost"] <= args.tolerance * r["sent"]
        print(f"rate {mid:6.2f}%: offered {r['mpps']:8.3f} Mpps, lost {r['lost']:.0f} "
              f"(nic missed {r['nic_missed']:.0f}, tx-full {r['tx_full']:.0f}, conntrack-full "
              f"{r['conntrack_full']:.0f}, before podgate {r['wire_in']:.0f}), policy drops {r['policy']:.0f} "
              f"-> {'pass' if ok else 'fail'}", flush=True)
        if ok:
            lo, best = mid, r
        else:
            hi = mid
    if best is None:
        print(f"no passing rate above {args.lo}%")
        return 1
    print(f"NDR: {best['rate']:.2f}% of link = {best['mpps']:.3f} Mpps offered, "
          f"{best['returned'] / max(best['sent'], 1) * best['mpps']:.3f} Mpps returned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
