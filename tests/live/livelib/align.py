"""Checks a daemon's output against its input when some packets' fates are
known and others are not.

Each input packet is PASS (must come out), DROP (must not) or EITHER (a packet
of a flow whose verdict changed, read between a reload's trigger and the
moment the new tables were live on every worker). The output must be the input
with every PASS packet, no DROP packet and any of the EITHER packets, in input
order. Frames of one flow may be byte-identical, so which input packet an
output frame is cannot be read off it: the check keeps every output position
the last PASS packet can have been matched at (a handful, since PASS packets
are dense) and fails at the first PASS packet none of them can reach."""

PASS, DROP, EITHER = "pass", "drop", "either"


def _subsequence(items: list, pool: list) -> bool:
    it = iter(pool)
    return all(any(x == y for y in it) for x in items)


def check(inputs: list, fates: list, outputs: list, describe, name_frame=lambda f: "") -> str | None:
    """None when outputs fit; else a sentence naming the input packet where
    it stopped fitting (describe(i) tells what input packet i is)."""
    states = {-1}  # output index of the last matched PASS packet
    either = []  # frames of the EITHER packets since that PASS packet
    for i, (frame, fate) in enumerate(zip(inputs, fates)):
        if fate == EITHER:
            either.append(frame)
            continue
        if fate == DROP:
            continue
        nxt = set()
        for j in states:
            # output[j+1 : k] must come from the EITHER packets, output[k] is this one.
            for k in range(j + 1, min(len(outputs), j + 2 + len(either))):
                if outputs[k] == frame and _subsequence(outputs[j + 1:k], either):
                    nxt.add(k)
        if not nxt:
            j = min(states)
            seen = outputs[j + 1:j + 4]
            return (f"input packet #{i} ({describe(i)}) must pass but does not come out where it should: after output "
                    f"frame #{j} the output continues with {len(seen)} frame(s) "
                    f"{[name_frame(f) + describe_frame(f, inputs, fates, i) for f in seen]}")
        states, either = nxt, []
    if not any(_subsequence(outputs[j + 1:], either) for j in states):
        j = min(states)
        return (f"the output has {len(outputs) - j - 1} frame(s) after the last packet that had to pass "
                f"(output frame #{j}) that no remaining input packet may produce")
    return None


def describe_frame(frame: bytes, inputs: list, fates: list, near: int) -> str:
    # Name an output frame by the nearest input packet with the same bytes.
    for d in range(0, 64):
        for i in (near + d, near - d):
            if 0 <= i < len(inputs) and inputs[i] == frame:
                return f"same bytes as input #{i} ({fates[i]})"
    return f"{len(frame)} bytes matching no nearby input packet"
