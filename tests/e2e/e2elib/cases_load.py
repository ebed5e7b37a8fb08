"""Volume: one large TCP transfer and many short connections."""

import time

from . import procs
from .case import Case, Measure, check_allowed, check_denied, drops_text

LARGE_BYTES = 100 * 1024 * 1024
MANY = 1000


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def large_transfer(c: Case, env):
    """100 MiB over one TCP connection, api -> db:3306, random bytes hashed
    on both ends as they stream."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    db, api = ip("db"), ip("api")
    recv_sha, recv_len, sent_sha = t.path("large.recv.sha256"), t.path("large.recv.bytes"), t.path("large.sent.sha256")
    server = env.registry.start(
        t.ns(p) + ["bash", "-c", f"socat -u TCP4-LISTEN:3306,bind={db},reuseaddr STDOUT "
                   f"| tee >(wc -c > {recv_len}.tmp && mv {recv_len}.tmp {recv_len}) "
                   f"| sha256sum > {recv_sha}.tmp && mv {recv_sha}.tmp {recv_sha}"], "large-sink")
    t.wait_listening(p, "tcp", 3306, server)
    with Measure(env.gate, settle=0.5) as m:
        start = time.monotonic()
        r = procs.run(t.ns(o) + ["bash", "-o", "pipefail", "-c",
                                     f"head -c {LARGE_BYTES} /dev/urandom | tee >(sha256sum > {sent_sha}) "
                                     f"| socat -u STDIN TCP4:{db}:3306,bind={api}"], 120)
        got = procs.wait_for(lambda: _read(recv_sha) and _read(recv_len), 30)
        seconds = time.monotonic() - start
    procs.wait_for(lambda: _read(sent_sha), 5)
    sent, received = _read(sent_sha).split(" ")[0], _read(recv_sha).split(" ")[0]
    nbytes = int(_read(recv_len) or 0)
    c.note(f"api -> db:3306: sent {LARGE_BYTES} bytes (sender exit {r.rc}), db received {nbytes} bytes "
           f"in {seconds:.1f} s ({nbytes * 8 / seconds / 1e6:.0f} Mbit/s)")
    c.note(f"sha256 sent {sent[:16]}..., received {received[:16]}...")
    c.check(r.rc == 0, f"sender failed: exit {r.rc}: {r.err.strip()[-300:]}")
    c.check(bool(got), "the receiver did not finish within 30 s of the sender")
    c.check(nbytes == LARGE_BYTES, f"received {nbytes} bytes, sent {LARGE_BYTES}")
    c.check(sent != "" and sent == received, "sha256 of what db received differs from what api sent")
    c.note(f"podgate: rx {m.delta['rx']} tx {m.delta['tx']} packets")
    c.check(m.delta["rx"] >= LARGE_BYTES // 1500, f"podgate saw only {m.delta['rx']} packets for {LARGE_BYTES} bytes")
    check_allowed(c, m.delta, 1, "large transfer")
    env.registry.stop(server)


def many_connections(c: Case, env):
    """1,000 short HTTP connections (HTTP/1.0 server: one per request) from
    a client the ipBlock admits, all answered; then 1,000 from a client in
    the except, all refused."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    web = ip("web")
    server = t.http_server(p, web, 8080, env.www)
    url = t.url(web, 8080, f"payload.bin?n=[1-{MANY}]")
    with Measure(env.gate, settle=0.3) as m:
        r = t.curl(o, env.client_in_block, url, 5, ["-o", "/dev/null"], glob=True)
    lines = [line.split() for line in r.out.splitlines()]
    ok = sum(1 for f in lines if f[0] == "200" and f[1] == "1" and int(f[2]) == env.payload_size)
    served = t.served_to(server).count(env.client_in_block)
    c.note(f"{env.client_in_block} -> web:8080: {len(lines)} transfers, {ok} answered 200 on a new connection "
           f"with the full body, in {r.seconds:.1f} s; server logged {served}")
    c.check(r.rc == 0, f"curl exit {r.rc}: {r.err.strip()[-300:]}")
    c.check(ok == MANY, f"{ok} of {MANY} connections succeeded")
    c.check(served == MANY, f"server answered {served} of {MANY}")
    check_allowed(c, m.delta, MANY, f"{MANY} allowed connections")

    with env.tools.capture(p, f"host {env.client_in_except} and host {web}", "cap-many-denied") as cap:
        with Measure(env.gate, settle=0.3) as m:
            r = t.curl(o, env.client_in_except, url, 1.0,
                       ["-o", "/dev/null", "--parallel", "--parallel-immediate", "--parallel-max", "250"], glob=True)
    lines = [line.split() for line in r.out.splitlines()]
    failed = sum(1 for f in lines if f[0] == "000")
    seen = cap.packets()
    c.note(f"{env.client_in_except} -> web:8080: {len(lines)} transfers, {failed} failed to connect, "
           f"in {r.seconds:.1f} s; server side saw {len(seen)} packet(s); podgate drops {drops_text(m.delta)}")
    c.check(len(lines) == MANY and failed == MANY, f"{failed} of {MANY} denied connections failed ({len(lines)} ran)")
    c.check(not seen, f"packets reached the server's namespace: {seen[:3]}")
    check_denied(c, m.delta, "policy-ingress", f"{MANY} denied connections", at_least=MANY)
    env.registry.stop(server)
