"""podgate's Prometheus endpoint: GET /metrics with curl (a real HTTP
client) and a strict parser of the text format."""

import re
import subprocess


class MetricsError(Exception):
    pass


def fetch(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> str:
    """The body of http://HOST:PORT/metrics."""
    proc = subprocess.run(["curl", "-sS", "--fail", "--max-time", str(timeout), f"http://{host}:{port}/metrics"],
                          capture_output=True, text=True, timeout=timeout + 10)
    if proc.returncode != 0:
        raise MetricsError(f"curl /metrics exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


_SAMPLE = re.compile(r"(\w+)(?:\{(.*)\})? (\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _unescape(value: str) -> str:
    """A label value as the text format escapes it: \\\\, \\" and \\n."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse(text: str) -> dict:
    """Prometheus text -> {(name, frozenset(labels.items())): value}; checks
    that every sample's family has a # TYPE line before it."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.fullmatch(line)
        if not m:
            raise ValueError(f"not a sample line: {line!r}")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if name not in typed:
            raise ValueError(f"sample {name} before its # TYPE line")
        parsed = {k: _unescape(v) for k, v in _LABEL.findall(labels)}
        samples[(name, frozenset(parsed.items()))] = float(value)
    return samples


def metric(samples: dict, name: str, /, **labels) -> float:
    """The sample of `name` with exactly these labels; KeyError names the
    samples that family has."""
    key = (name, frozenset(labels.items()))
    if key not in samples:
        have = [dict(k[1]) for k in samples if k[0] == name] or "none"
        raise KeyError(f"no sample {name}{labels}; samples of {name}: {have}")
    return samples[key]
