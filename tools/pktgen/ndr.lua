-- Pktgen-DPDK 23.06 Lua: the no-drop rate (NDR) of podgate by binary search
-- on pktgen's transmit rate, from pktgen's own counters.
-- NOT RUN HERE (no pktgen on the build machine): written against the 23.06
-- Lua API; see docs/pktgen.md. For exact loss accounting (capacity drops
-- told apart from policy drops by podgate's /metrics) use ndr_search.py.
--
--   pktgen ... -- -P -m "[1].0, [2].1" -s 0:mix.pcap -f tools/pktgen/ndr.lua
--
-- Policy drops are not loss: a calibration trial at a low rate measures the
-- share of packets podgate returns (the mix's allowed share), and a trial
-- passes when what comes back is within `tolerance` of that share of what
-- was sent. With an all-allowed mix the share is 1 and the test is plain
-- rx == tx.

package.path = package.path .. ";?.lua;tools/pktgen/?.lua"
require "Pktgen"

local cfg = {
    tx = "0",
    rx = "1",
    size = 64,
    use_pcap = true,      -- started with -s 0:FILE (podgate-traffic mix); false: range stream (podgate.pkt)
    calibrate_rate = 1,   -- percent: surely below the NDR
    lo = 0, hi = 100,     -- search interval, percent of link speed
    resolution = 0.5,     -- stop when hi - lo is below this (percent)
    tolerance = 0.0001,   -- accepted loss fraction (1e-4 = 0.01 %)
    warmup_ms = 2000,     -- before counting (conntrack fills, queues settle)
    window_ms = 10000,    -- counted
    drain_ms = 1000,      -- after stopping, before the next trial
}

local function counters()
    local s = pktgen.portStats(cfg.tx .. "," .. cfg.rx, "port")
    return s[tonumber(cfg.tx)].opackets, s[tonumber(cfg.rx)].ipackets
end

-- One trial at `rate` percent: packets sent and received in the window.
local function trial(rate)
    pktgen.stop(cfg.tx)
    pktgen.delay(cfg.drain_ms)
    pktgen.clr()
    pktgen.set(cfg.tx, "rate", rate)
    pktgen.start(cfg.tx)
    pktgen.delay(cfg.warmup_ms)
    local tx0, rx0 = counters()
    pktgen.delay(cfg.window_ms)
    local tx1, rx1 = counters()
    pktgen.stop(cfg.tx)
    return tx1 - tx0, rx1 - rx0
end

pktgen.screen("off")
pktgen.stop("all")
pktgen.set("all", "size", cfg.size)
pktgen.set("all", "count", 0)
if cfg.use_pcap then
    pktgen.pcap(cfg.tx, "on")
else
    pktgen.set_range(cfg.tx, "on")
end

local secs = cfg.window_ms / 1000
local ctx, crx = trial(cfg.calibrate_rate)
if ctx == 0 then
    printf("calibration sent nothing: check the port mapping (-m) and the link\n")
    return
end
local share = crx / ctx
printf("calibration at %.2f%%: %.4f of the packets come back (policy share)\n", cfg.calibrate_rate, share)

local lo, hi = cfg.lo, cfg.hi
local best = nil
while hi - lo > cfg.resolution do
    local mid = (lo + hi) / 2
    local tx, rx = trial(mid)
    local expected = tx * share
    local loss = expected > 0 and (expected - rx) / expected or 1
    local ok = loss <= cfg.tolerance
    printf("rate %6.2f%%: offered %8.3f Mpps, returned %8.3f Mpps, loss %.5f%% -> %s\n",
           mid, tx / secs / 1e6, rx / secs / 1e6, 100 * math.max(loss, 0), ok and "pass" or "fail")
    if ok then
        lo = mid
        best = { rate = mid, offered = tx / secs, returned = rx / secs }
    else
        hi = mid
    end
end

if best then
    printf("NDR: %.2f%% of link = %.3f Mpps offered, %.3f Mpps returned (tolerance %.4f%%)\n",
           best.rate, best.offered / 1e6, best.returned / 1e6, 100 * cfg.tolerance)
else
    printf("no passing rate above %.2f%%\n", cfg.lo)
end
