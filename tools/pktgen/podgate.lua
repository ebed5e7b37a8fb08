-- Pktgen-DPDK 23.06 Lua: run podgate at one rate and print what came back.
-- NOT RUN HERE (no pktgen on the build machine): written against the 23.06
-- Lua API (pktgen.set, pktgen.range.*, pktgen.set_range, pktgen.pcap,
-- pktgen.portStats); see docs/pktgen.md.
--
--   pktgen ... -- -P -m "[1].0, [2].1" [-s 0:mix.pcap] -f tools/pktgen/podgate.lua
--
-- Settings below; with a pcap on port 0 (-s 0:FILE) it replays that file
-- (podgate-traffic mix), else it sends the range stream of podgate.pkt.

package.path = package.path .. ";?.lua;tools/pktgen/?.lua"
require "Pktgen"

local cfg = {
    tx = "0",            -- pktgen port wired to podgate's port 0
    rx = "1",            -- pktgen port wired to podgate's port 1
    rate = 10,           -- percent of the link speed
    size = 64,
    use_pcap = false,    -- true when started with -s 0:FILE
    warmup_ms = 2000,
    window_ms = 10000,
}

local function counters()
    local s = pktgen.portStats(cfg.tx .. "," .. cfg.rx, "port")
    return s[tonumber(cfg.tx)].opackets, s[tonumber(cfg.rx)].ipackets,
           s[tonumber(cfg.rx)].imissed or 0
end

pktgen.screen("off")
pktgen.stop("all")
pktgen.set("all", "size", cfg.size)
pktgen.set("all", "count", 0)
pktgen.set(cfg.tx, "rate", cfg.rate)
if cfg.use_pcap then
    pktgen.pcap(cfg.tx, "on")
else
    pktgen.set_range(cfg.tx, "on")   -- configured by podgate.pkt (pktgen.load)
end

pktgen.clr()
pktgen.start(cfg.tx)
pktgen.delay(cfg.warmup_ms)
local tx0, rx0 = counters()
pktgen.delay(cfg.window_ms)
local tx1, rx1 = counters()
pktgen.stop(cfg.tx)

local secs = cfg.window_ms / 1000
printf("rate %d%%: sent %.3f Mpps, received %.3f Mpps, returned %.4f%%\n",
       cfg.rate, (tx1 - tx0) / secs / 1e6, (rx1 - rx0) / secs / 1e6,
       100 * (rx1 - rx0) / math.max(tx1 - tx0, 1))
