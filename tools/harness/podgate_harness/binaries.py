"""Where the programs are: an environment variable (meson test sets them),
else the build directory. One lookup for every script, so a missing binary
is reported the same way everywhere."""

import os
import shutil

SOURCE = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))

# name -> (environment variable, path in the build directory or None for the source tree / PATH)
_KNOWN = {
    "podgate": ("PODGATE", "app/podgate"),
    "podgate-policy": ("PODGATE_POLICY", "tools/policy/podgate-policy"),
    "podgate-traffic": ("PODGATE_TRAFFIC", None),
    "dpdk-testpmd": ("PODGATE_TESTPMD", None),
}
_chosen: dict = {}


class MissingBinary(Exception):
    pass


def build_dir() -> str:
    return _chosen.get("build") or os.environ.get("PODGATE_BUILD_DIR") or os.path.join(SOURCE, "build")


def configure(build: str | None = None, **paths: str) -> None:
    """Overrides from a script's command line: configure(build=DIR) and/or
    configure(podgate=PATH, ...) (names with '-' spelled with '_')."""
    if build:
        _chosen["build"] = build
    for name, path in paths.items():
        if path:
            _chosen[name.replace("_", "-")] = path


def find(name: str) -> str:
    """The path of `name` (see _KNOWN); MissingBinary says how to get it."""
    env, rel = _KNOWN[name]
    path = _chosen.get(name) or os.environ.get(env)
    if not path:
        if rel is not None:
            path = os.path.join(build_dir(), rel)
        elif name == "podgate-traffic":
            path = os.path.join(SOURCE, "tools", "traffic", "podgate-traffic")
        else:
            path = shutil.which(name) or name
    if not os.access(path, os.X_OK):
        hint = f"build it (ninja -C {build_dir()} {rel}) or " if rel else ""
        raise MissingBinary(f"{path} is not an executable: {hint}set ${env}")
    return path


def require(script: str, *names: str) -> None:
    """For a script's start: SystemExit naming the first missing program."""
    try:
        for name in names:
            find(name)
    except MissingBinary as e:
        raise SystemExit(f"{script}: {e}") from None
