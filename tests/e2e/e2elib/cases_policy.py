"""Policy cases: who reaches whom, over TCP, UDP, ICMP and SCTP, IPv4 and
IPv6 (the policies are in ../cluster/policies)."""

import shutil
import socket
import subprocess

from . import checks
from .case import Case


def seed(c: Case, env, family: str = "v4"):
    """db (namespace data) admits role=api pods of team=shop namespaces on
    TCP 3306: api yes; frontend (shop, role=frontend) no; probe (role=api
    but namespace tools) no."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    db = ip("db", family)
    server = t.http_server(p, db, 3306, env.www)
    checks.http_allowed(c, env, o, ip("api", family), server, db, 3306, f"api -> db:3306 ({family})")
    checks.http_denied(c, env, o, ip("frontend", family), p, db, 3306, "policy-ingress",
                       f"frontend -> db:3306 ({family})")
    if family == "v4":
        checks.http_denied(c, env, o, ip("probe", family), p, db, 3306, "policy-ingress",
                           "probe (role=api, namespace tools) -> db:3306")
    env.registry.stop(server)


def seed_v6(c: Case, env):
    seed(c, env, "v6")


def namespace_selector(c: Case, env):
    """cache admits every pod of namespaces labelled purpose=debug, on any
    port: probe (tools) yes; api and frontend (shop) no."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    cache = ip("cache")
    server = t.http_server(p, cache, 6379, env.www)
    checks.http_allowed(c, env, o, ip("probe"), server, cache, 6379, "probe (tools) -> cache:6379")
    checks.http_denied(c, env, o, ip("api"), p, cache, 6379, "policy-ingress", "api (shop) -> cache:6379")
    checks.http_denied(c, env, o, ip("frontend"), p, cache, 6379, "policy-ingress", "frontend (shop) -> cache:6379")
    env.registry.stop(server)


def ip_block(c: Case, env):
    """web admits 198.51.100.0/24 except 198.51.100.128/25 on TCP 8080."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    web = ip("web")
    server = t.http_server(p, web, 8080, env.www)
    checks.http_allowed(c, env, o, env.client_in_block, server, web, 8080,
                        f"{env.client_in_block} (in the block) -> web:8080")
    checks.http_denied(c, env, o, env.client_in_except, p, web, 8080, "policy-ingress",
                       f"{env.client_in_except} (in the except) -> web:8080")
    checks.http_denied(c, env, o, ip("frontend"), p, web, 8080, "policy-ingress",
                       "frontend (a pod, outside the block) -> web:8080")
    env.registry.stop(server)


def egress_isolation(c: Case, env):
    """batch's egress is isolated with no rule: nothing it opens gets out,
    but connections to it are allowed and its replies pass."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    batch, ext = ip("batch"), env.external_server
    outside_web = t.http_server(o, ext, 9000, env.www)
    outside_api = t.http_server(o, ip("api"), 8080, env.www)
    checks.http_denied(c, env, p, batch, o, ext, 9000, "policy-egress", f"batch -> {ext}:9000 (external)")
    checks.http_denied(c, env, p, batch, o, ip("api"), 8080, "policy-egress", "batch -> api:8080 (a pod)")
    checks.ping_denied(c, env, p, batch, o, ext, "policy-egress", f"batch pings {ext}")
    env.registry.stop(outside_web)
    env.registry.stop(outside_api)
    inside = t.http_server(p, batch, 9000, env.www)
    checks.http_allowed(c, env, o, ip("frontend"), inside, batch, 9000, "frontend -> batch:9000 (reply from batch)")
    checks.ping_allowed(c, env, o, ip("frontend"), batch, "frontend pings batch (replies from batch)")
    env.registry.stop(inside)
    echo = t.echo_server(p, "udp", batch, 5353)
    checks.echo_allowed(c, env, "udp", o, ip("api"), echo, batch, 5353, "api -> batch udp/5353 (reply from batch)")
    env.registry.stop(echo)


def udp(c: Case, env):
    """db admits api on UDP 5353 (not 3306, which is TCP only)."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    db = ip("db")
    echo = t.echo_server(p, "udp", db, 5353)
    echo_3306 = t.echo_server(p, "udp", db, 3306)
    checks.echo_allowed(c, env, "udp", o, ip("api"), echo, db, 5353, "api -> db udp/5353")
    checks.echo_denied(c, env, "udp", o, ip("frontend"), p, echo, db, 5353, "policy-ingress", "frontend -> db udp/5353")
    checks.echo_denied(c, env, "udp", o, ip("api"), p, echo_3306, db, 3306, "policy-ingress",
                       "api -> db udp/3306 (only TCP is allowed there)")
    env.registry.stop(echo)
    env.registry.stop(echo_3306)
    echo6 = t.echo_server(p, "udp", ip("db", "v6"), 5353)
    checks.echo_allowed(c, env, "udp", o, ip("api", "v6"), echo6, ip("db", "v6"), 5353, "api -> db udp/5353 (v6)")
    env.registry.stop(echo6)


def icmp(c: Case, env):
    """Echo requests follow the same rules: a rule with ports admits no
    ICMP; a rule without ports admits it."""
    ip, o, p = env.ip, env.topo.outside, env.topo.pods
    checks.ping_allowed(c, env, o, ip("probe"), ip("cache"), "probe pings cache (v4)")
    checks.ping_denied(c, env, o, ip("frontend"), p, ip("cache"), "policy-ingress", "frontend pings cache (v4)")
    checks.ping_denied(c, env, o, ip("api"), p, ip("db"), "policy-ingress",
                       "api pings db (v4; db's rule admits only its ports)")
    checks.ping_allowed(c, env, o, ip("probe", "v6"), ip("cache", "v6"), "probe pings cache (v6)")
    checks.ping_denied(c, env, o, ip("frontend", "v6"), p, ip("cache", "v6"), "policy-ingress",
                       "frontend pings cache (v6)")
    checks.ping_allowed(c, env, o, ip("frontend", "v6"), ip("batch", "v6"),
                        "frontend pings batch (v6, not ingress-isolated)")


def kernel_has_sctp() -> str:
    """"" when SCTP sockets work, else why not (after one `modprobe sctp`
    where kmod is installed)."""
    if shutil.which("modprobe"):
        subprocess.run(["modprobe", "-q", "sctp"], capture_output=True)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
        return ""
    except OSError as e:
        return str(e)


def sctp(c: Case, env):
    """db admits api on SCTP 3868."""
    missing = kernel_has_sctp()
    if missing:
        c.skip(f"this kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): {missing}; "
               "on a kernel with the sctp module, `modprobe sctp` enables this case)")
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    db = ip("db")
    echo = t.echo_server(p, "sctp", db, 3868)
    checks.echo_allowed(c, env, "sctp", o, ip("api"), echo, db, 3868, "api -> db sctp/3868")
    checks.echo_denied(c, env, "sctp", o, ip("frontend"), p, echo, db, 3868, "policy-ingress",
                       "frontend -> db sctp/3868")
    env.registry.stop(echo)


def tcp_echo(c: Case, env):
    """The stream echo the SCTP case uses, over TCP (so it is exercised on
    every kernel): api -> db:3306 with socat."""
    t, ip, o, p = env.tools, env.ip, env.topo.outside, env.topo.pods
    db = ip("db")
    echo = t.echo_server(p, "tcp", db, 3306)
    checks.echo_allowed(c, env, "tcp", o, ip("api"), echo, db, 3306, "api -> db tcp/3306 (socat echo)")
    checks.echo_denied(c, env, "tcp", o, ip("frontend"), p, echo, db, 3306, "policy-ingress",
                       "frontend -> db tcp/3306 (socat echo)")
    env.registry.stop(echo)
