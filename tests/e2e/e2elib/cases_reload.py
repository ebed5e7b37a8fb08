"""Reload under a live connection: api streams a line every 100 ms to
stream:7000; the manifest that allows it is rewritten without the allow.
--established revalidate cuts the stream at its next packet; keep lets it
run. New connections follow the new policy either way; restoring the file
admits them again."""

import os
import re
import shutil
import time

from . import checks, procs
from .case import Case, Measure, drops_text

STREAM_PORT = 7000


def _lines(path: str) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def _replace_manifest(env, source: str):
    """Atomic rewrite of the live copy (inotify sees IN_MOVED_TO)."""
    target = os.path.join(env.manifests, "policies", "stream-policy.yaml")
    staging = os.path.join(env.workdir, "stream-policy.yaml.new")
    shutil.copyfile(source, staging)
    os.replace(staging, target)


def _client_socket_state(env, dst: str) -> str:
    out = procs.run(env.tools.ns(env.topo.outside) + ["ss", "-tni", "dst", f"{dst}:{STREAM_PORT}"], 5).out
    m = re.search(r"unacked:(\d+)", out)
    r = re.search(r"retrans:\d+/(\d+)", out)
    return f"unacked {m.group(1) if m else 0}, retransmissions {r.group(1) if r else 0}"


def reload(c: Case, env):
    mode = env.gate.established
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    stream, api = ip("stream"), ip("api")
    received = t.path(f"stream-{mode}.txt")
    server = env.registry.start(t.ns(p) + ["socat", "-u", f"TCP4-LISTEN:{STREAM_PORT},bind={stream},reuseaddr",
                                           f"OPEN:{received},creat,append"], f"stream-server-{mode}")
    t.wait_listening(p, "tcp", STREAM_PORT, server)
    client = env.registry.start(
        t.ns(o) + ["bash", "-c", "i=0; while :; do echo \"line $i $(date +%s.%N)\"; i=$((i+1)); sleep 0.1; done "
                   f"| socat -u STDIN TCP4:{stream}:{STREAM_PORT},bind={api}"], f"stream-client-{mode}")
    if not c.check(procs.wait_for(lambda: _lines(received) >= 10, 10),
                   f"the stream did not start: {_lines(received)} lines in 10 s"):
        return
    c.note(f"stream api -> stream:{STREAM_PORT} running: {_lines(received)} lines received")

    with Measure(env.gate, settle=0.2) as m:
        before = _lines(received)
        _replace_manifest(env, os.path.join(env.source_dir, "reload", "stream-policy.yaml"))
        latency = env.gate.wait_generation(env.gate.generation + 1)
        time.sleep(0.3)  # lines already in flight when the new tables went live
        at_cut = _lines(received)
        time.sleep(1.5)
        after = _lines(received)
    c.note(f"manifest rewritten; generation {env.gate.generation} live {latency * 1000:.0f} ms later; "
           f"lines: {before} at the rewrite, {at_cut} 0.3 s after, {after} 1.5 s later")
    c.note(f"client side: {_client_socket_state(env, stream)}; client alive: {client.poll() is None}")
    c.note(f"counters: revalidated {m.delta['conntrack.revalidated']}, revoked {m.delta['conntrack.revoked']}, "
           f"drops {drops_text(m.delta)}")
    if mode == "revalidate":
        c.check(after == at_cut, f"revalidate: the stream kept flowing ({after - at_cut} lines after the cut)")
        c.check(m.delta["conntrack.revoked"] >= 1, "revalidate: no conntrack entry revoked")
        c.check(m.delta["drop:policy-ingress"] >= 1, "revalidate: no policy-ingress drop for the cut stream")
    else:
        # ~15 lines at 10 a second; a loaded machine may manage fewer, a cut one none.
        c.check(after - at_cut >= 5, f"keep: the stream stalled ({after - at_cut} lines in 1.5 s)")
        c.check(m.delta["conntrack.revoked"] == 0, f"keep: {m.delta['conntrack.revoked']} entries revoked")
        c.check(m.delta["dropped_total"] == 0, f"keep: podgate dropped {drops_text(m.delta)}")
    env.registry.stop(client)
    env.registry.stop(server)
    procs.wait_for(lambda: not procs.run(t.ns(p) + ["ss", "-Hltn", f"sport = :{STREAM_PORT}"], 5).out.strip(), 3)

    # New connections follow the new policy in both modes ...
    web = t.http_server(p, stream, STREAM_PORT, env.www)
    checks.http_denied(c, env, o, api, p, stream, STREAM_PORT, "policy-ingress",
                       f"new connection api -> stream:{STREAM_PORT} after the rewrite")
    # ... and the original file admits them again.
    _replace_manifest(env, os.path.join(env.source_dir, "cluster", "policies", "stream-policy.yaml"))
    env.gate.wait_generation(env.gate.generation + 1)
    checks.http_allowed(c, env, o, api, web, stream, STREAM_PORT,
                        f"new connection api -> stream:{STREAM_PORT} after restoring the file")
    env.registry.stop(web)
