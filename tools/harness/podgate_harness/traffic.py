"""Inputs from tools/traffic/podgate-traffic: frames and, where asked, one
meta line per frame saying what the tool made (flow, direction, kind,
malformed class...)."""

import json
import os
import subprocess

from . import binaries, pcap

PYTHON = "/usr/bin/python3"  # scapy and PyYAML live here, not in a pyenv python3


class TrafficError(Exception):
    pass


def run(*args: str, timeout: float = 300) -> None:
    """podgate-traffic ARGS; TrafficError with its stderr when it fails."""
    cmd = [PYTHON, binaries.find("podgate-traffic"), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise TrafficError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")


def generate(workdir: str, name: str, *args: str) -> tuple[list[bytes], list[dict]]:
    """podgate-traffic ARGS --out WORKDIR/NAME.pcap --meta WORKDIR/NAME.jsonl
    (conversations, special): the frames and their meta lines."""
    out, meta = os.path.join(workdir, f"{name}.pcap"), os.path.join(workdir, f"{name}.jsonl")
    run(*args, "--out", out, "--meta", meta)
    with open(meta, encoding="utf-8") as f:
        metas = [json.loads(line) for line in f]
    frames = pcap.read(out)
    if len(frames) != len(metas):
        raise TrafficError(f"podgate-traffic {' '.join(args)}: {len(frames)} packets but {len(metas)} meta lines")
    return frames, metas


def mix(workdir: str, name: str, flows: list[str], packets: int, *extra: str) -> list[bytes]:
    """`podgate-traffic mix` over the flow lines `flows` (round-robin unless
    `extra` says otherwise): the frames, in order."""
    flows_path = os.path.join(workdir, f"{name}-flows.txt")
    with open(flows_path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in flows))
    out = os.path.join(workdir, f"{name}.pcap")
    run("mix", "--flows", flows_path, "--out", out, "--packets", str(packets), *extra, timeout=120)
    return pcap.read(out)
