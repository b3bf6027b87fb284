# shellcheck shell=bash disable=SC2034  # the SCEN_* variables are read by bench/run.sh
# Scenario l3-scale: the l3 scenario (bench/scenarios/l3.sh: the same traffic, route_1k_64.pcap,
# the same router r, networks and 7 output ports) with L3_SCALE_N routes in router r's VRF instead
# of 100: l3's 100 /24s 10.2.p.0/24 (the only ones the traffic hits) plus L3_SCALE_N - 100 other
# prefixes (l3_scale_routes below), all via the same 100 next hops 10.255.0.1..100 on out0..out6.
# Router r has more than 4,096 IPv4 routes, so its routes are in a DIR-24-8 FIB of its own, whose
# capacity is set to the routes plus 1,024 (configuration "routing": {"router_fib_routes_max"},
# docs/routing.md): bench/l3_scale.sh reserves the hugepages, runs this scenario beside l3, and also
# measures the FIB's memory, the apply time and the time of route changes.
#
# environment: L3_SCALE_N (default 100000, at least 100).
#
# Sourced by bench/run.sh (and bench/l3_scale.sh), which read the SCEN_* variables and call
# scenario_rules.

L3_SCALE_N=${L3_SCALE_N:-100000}
SCEN_DESC="l3's traffic with $L3_SCALE_N routes in the VRF (l3's 100 /24s + $((L3_SCALE_N - 100)) others: /24s, /16-/23s, /32s)"
SCEN_PCAPS="route_1k_64.pcap"
SCEN_OUT_PORTS="out0 out1 out2 out3 out4 out5 out6"
SCEN_IN_PORTS="in"
SCEN_MBUFS=16383
SCEN_ROUTING="{\"router_fib_routes_max\": $((L3_SCALE_N + 1024))}"   # bench/run.sh: vnetd's "routing"
SCEN_READY_S=120                         # bench/run.sh: vnetd installs the routes before forwarding
L3_SCALE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# l3_scale_routes N: read a rules document (l3's) on standard input, print it with router r's
# routes completed to N: l3's 100 first, then N - 100 others, a fixed (seeded) mix:
#   60 % /24s in 11.0.0.0/8 upwards (11.0.0.0/24, 11.0.1.0/24, ... in a shuffled order),
#   15 % /16../23s in 20.0.0.0/8..63.0.0.0/8 (random, host bits zero, no prefix twice),
#   25 % /32s in 100.64.0.0/10 (random, distinct),
# none inside 10.0.0.0/8 (l3's networks and routes); next hop 10.255.0.(1 + i % 100).
l3_scale_routes() {
	/usr/bin/python3 -c '
import json, random, sys
n = int(sys.argv[1])
doc = json.load(sys.stdin)
r = next(x for x in doc["routers"] if x["id"] == "r")
m = n - len(r["routes"])
if m < 0:
    sys.exit("l3-scale: L3_SCALE_N must be at least %d" % len(r["routes"]))
rnd = random.Random(9)
n24, nmid = m * 60 // 100, m * 15 // 100
n32 = m - n24 - nmid
p24 = ["%d.%d.%d.0/24" % (11 + i // 65536, i // 256 % 256, i % 256) for i in range(n24)]
rnd.shuffle(p24)
mid, seen = [], set()
while len(mid) < nmid:
    ln = rnd.randint(16, 23)
    a = (rnd.randint(20, 63) << 24 | rnd.getrandbits(24)) & (0xffffffff << (32 - ln))
    if (a, ln) not in seen:
        seen.add((a, ln))
        mid.append("%d.%d.%d.%d/%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, ln))
hosts = rnd.sample(range(1 << 22), n32)   # 100.64.0.0/10
p32 = ["100.%d.%d.%d/32" % (64 + (h >> 16), h >> 8 & 255, h & 255) for h in hosts]
for i, p in enumerate(p24 + mid + p32):
    r["routes"].append({"prefix": p, "nexthop": "10.255.0.%d" % (1 + i % 100)})
json.dump(doc, sys.stdout, separators=(",", ":"))
print()
' "$1"
}

# scenario_rules PCAP_DIR: print the rules document on standard output.
scenario_rules() {
	bash -c 'source "$1/l3.sh" && scenario_rules "$2"' l3 "$L3_SCALE_DIR" "$1" | l3_scale_routes "$L3_SCALE_N"
}
