"""The two halves of every policy claim, for each kind of client:
allowed -> it connects, the data arrives intact, the server saw this
client, podgate created the expected conntrack entries and dropped nothing;
denied  -> the client fails (times out), the server's namespace never sees
a packet of the flow, podgate counted drops for the expected reason and
created no entry."""

import hashlib
import os

from .case import Case, Measure, check_allowed, check_denied

DENY_TIMEOUT = 1.5  # seconds a denied client waits: one SYN retransmit included


def _digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def http_allowed(c: Case, env, client, src: str, server_proc, dst: str, port: int, what: str):
    out = env.tools.path(f"got-{src}-{dst}-{port}.bin".replace(":", "_"))
    if os.path.exists(out):
        os.remove(out)
    with Measure(env.gate) as m:
        r = env.tools.curl(client, src, env.tools.url(dst, port, "payload.bin"), 5, ["-o", out])
    fields = r.out.split()
    code = fields[0] if fields else "?"
    c.note(f"{what}: curl exit {r.rc}, HTTP {code}, {fields[2] if len(fields) > 2 else '?'} bytes "
           f"in {r.seconds:.3f} s")
    if not c.check(r.rc == 0 and code == "200", f"{what}: expected to connect, curl exit {r.rc}: {r.err.strip()}"):
        return
    c.check(_digest(out) == env.payload_sha256, f"{what}: the body arrived altered (sha256 differs)")
    c.check(src in env.tools.served_to(server_proc), f"{what}: the server logged no request from {src}")
    check_allowed(c, m.delta, 1, what)


def http_denied(c: Case, env, client, src: str, server_side, dst: str, port: int, reason: str, what: str):
    with env.tools.capture(server_side, f"host {src} and host {dst}", f"cap-{what.replace(' ', '_')}") as cap:
        with Measure(env.gate) as m:
            r = env.tools.curl(client, src, env.tools.url(dst, port, "payload.bin"), DENY_TIMEOUT, ["-o", "/dev/null"])
    seen = cap.packets()
    c.note(f"{what}: curl exit {r.rc} after {r.seconds:.2f} s ({r.err.strip() or 'no message'}); "
           f"server side saw {len(seen)} packet(s)")
    c.check(r.rc == 28, f"{what}: expected a connect timeout (curl exit 28), got exit {r.rc}")
    c.check(not seen, f"{what}: packets reached the server's namespace: {seen[:3]}")
    check_denied(c, m.delta, reason, what)


def echo_allowed(c: Case, env, proto: str, client, src: str, server_proc, dst: str, port: int, what: str):
    payload = os.urandom(24).hex().encode() + b"\n"
    with Measure(env.gate) as m:
        r = env.tools.echo_request(client, proto, src, dst, port, payload, 1.0)
    c.note(f"{what}: sent {len(payload)} bytes, got {len(r.out)} back in {r.seconds:.2f} s (socat exit {r.rc})")
    c.check(r.out.encode() == payload, f"{what}: echo {r.out!r} != sent {payload!r} ({r.err.strip()})")
    c.check(src in env.tools.echo_peers(server_proc), f"{what}: the echo server never saw {src}")
    check_allowed(c, m.delta, 1, what)


def echo_denied(c: Case, env, proto: str, client, src: str, server_side, server_proc, dst: str, port: int,
                reason: str, what: str):
    payload = os.urandom(24).hex().encode() + b"\n"
    with env.tools.capture(server_side, f"host {src} and host {dst}", f"cap-{what.replace(' ', '_')}") as cap:
        with Measure(env.gate) as m:
            r = env.tools.echo_request(client, proto, src, dst, port, payload, 1.0)
    seen = cap.packets()
    c.note(f"{what}: got {len(r.out)} bytes back in {r.seconds:.2f} s; server side saw {len(seen)} packet(s)")
    c.check(r.out == "", f"{what}: expected no answer, got {r.out!r}")
    c.check(not seen, f"{what}: packets reached the server's namespace: {seen[:3]}")
    c.check(src not in env.tools.echo_peers(server_proc), f"{what}: the echo server saw {src}")
    check_denied(c, m.delta, reason, what)


def ping_allowed(c: Case, env, client, src: str, dst: str, what: str, count: int = 3):
    with Measure(env.gate) as m:
        r = env.tools.ping(client, src, dst, count)
    got = env.tools.ping_received(r)
    c.note(f"{what}: {got}/{count} echo replies in {r.seconds:.2f} s")
    c.check(got == count and "wrong data" not in r.out, f"{what}: {got}/{count} replies: {r.out.strip()[-200:]}")
    check_allowed(c, m.delta, 1, what)  # one echo id: one entry


def ping_denied(c: Case, env, client, src: str, server_side, dst: str, reason: str, what: str, count: int = 2):
    proto = "icmp6" if ":" in dst else "icmp"
    # ND shares ICMPv6 and always passes: count only echo requests.
    bpf = f"host {src} and host {dst} and " + ("icmp6 and ip6[40] == 128" if proto == "icmp6" else "icmp")
    with env.tools.capture(server_side, bpf, f"cap-{what.replace(' ', '_')}") as cap:
        with Measure(env.gate) as m:
            r = env.tools.ping(client, src, dst, count)
    seen = cap.packets()
    got = env.tools.ping_received(r)
    c.note(f"{what}: {got}/{count} echo replies in {r.seconds:.2f} s; server side saw {len(seen)} request(s)")
    c.check(got == 0, f"{what}: expected no reply, got {got}")
    c.check(not seen, f"{what}: echo requests reached the server's namespace: {seen[:3]}")
    check_denied(c, m.delta, reason, what, at_least=count)
