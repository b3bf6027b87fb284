#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Golden traces (issue 13): every packet of every sample in pcap-samples/ traced (synthetic) at
# A's port, or at the underlay for the VXLAN samples, in the topology pcap-samples/README.md
# describes (A and B here, R on the remote VTEP 192.0.2.12, VNI 5001, a security group that
# admits everything); each trace's records (node, next, verdict, fields, drop reason, ports) and
# verdict compared with tests/golden/trace_samples.json, record by record. A difference fails the
# test and is shown. After a deliberate change of what a node does or records:
#   GOLDEN_UPDATE=1 bash tests/system/trace_golden_test.sh   (then read the diff before committing)
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib/sys.sh
source "$(dirname "$0")/../lib/sys.sh"
# shellcheck source=SCRIPTDIR/../lib/overlay.sh
source "$(dirname "$0")/../lib/overlay.sh"

sys_init trg
ensure_hugepages
GOLDEN=$SYS_SRC/tests/golden/trace_samples.json
U=$(sys_name u) UP=$(sys_name up)
iface_add "$U" veth peer name "$UP"
ip link set "$U" up
ip link set "$UP" up
vnetd_config_underlay v '{"revision": 1,
 "networks": [{"id": "blue", "tenant": "blue", "vni": 5001, "mtu": 1450, "flood_vteps": ["192.0.2.12"]}],
 "security_groups": [{"id": "all", "tenant": "blue", "rules": [{"id": "in", "direction": "ingress"}, {"id": "out", "direction": "egress"}]}],
 "ports": [
   {"id": "a", "network": "blue", "device": "net_null1,no-rx=1", "mac": "02:00:00:00:01:0a", "ips": ["10.0.0.10", "fd00::a"], "security_groups": ["all"]},
   {"id": "b", "network": "blue", "device": "net_null2,no-rx=1", "mac": "02:00:00:00:01:0b", "ips": ["10.0.0.11", "fd00::b"], "security_groups": ["all"]}],
 "remote_ports": [{"network": "blue", "mac": "02:00:00:00:02:0c", "ips": ["10.0.0.12"], "vtep": "192.0.2.12", "security_groups": ["all"]}]}' \
	"{\"device\": \"net_af_packet0,iface=$U\", \"address\": \"192.0.2.11/24\", \"mac\": \"02:00:c0:00:02:0b\",
	  \"static_neighbors\": [{\"ip\": \"192.0.2.12\", \"mac\": \"02:00:c0:00:02:0c\"}]}" >"$SYS_TMP/vnetd.json"
vnetd_start v "$SYS_TMP/vnetd.json"
SOCK=$(vnetd_sock v)

"$PY" - "$SYS_SRC/pcap-samples" "$VNETCTL" "$SOCK" "$GOLDEN" "${GOLDEN_UPDATE:-}" <<'PY'
import json, os, subprocess, sys
samples, vnetctl, sock, golden, update = sys.argv[1:6]

def packets(path):  # the number of packets in a pcap (classic format, little endian)
    data = open(path, "rb").read()
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = int.from_bytes(data[off + 8:off + 12], "little")
        off += 16 + incl
        n += 1
    return n

got = {}
for f in sorted(os.listdir(samples)):
    if not f.endswith(".pcap"):
        continue
    port = "underlay" if f.startswith(("vxlan_", "underlay_")) else "a"
    for i in range(packets(os.path.join(samples, f))):
        r = subprocess.run([vnetctl, "-s", sock, "trace", "--port", port, "--pcap",
                            os.path.join(samples, f), "--index", str(i), "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            got["%s#%d" % (f, i)] = {"error": (r.stdout + r.stderr).strip()}
            continue
        t = json.loads(r.stdout)
        recs = [{k: x.get(k) for k in ("node", "next", "verdict", "fields", "drop_reason", "in_port", "out_port")}
                for x in t["records"]]
        got["%s#%d" % (f, i)] = {"port": port, "records": recs, "verdict": t["verdict"],
                                 "out_frames": [o["port"] for o in t.get("out_frames", [])]}
if update:
    json.dump(got, open(golden, "w"), indent=1, sort_keys=True)
    open(golden, "a").write("\n")
    print("wrote %s: %d traces" % (golden, len(got)))
    sys.exit(0)
want = json.load(open(golden))
bad = 0
for k in sorted(set(want) | set(got)):
    if want.get(k) == got.get(k):
        continue
    bad += 1
    w, g = want.get(k) or {}, got.get(k) or {}
    print("DIFF %s" % k)
    wr, gr = w.get("records", []), g.get("records", [])
    for j in range(max(len(wr), len(gr))):
        a = wr[j] if j < len(wr) else None
        b = gr[j] if j < len(gr) else None
        if a != b:
            print("  record %d: golden %s\n             now    %s" % (j + 1, json.dumps(a), json.dumps(b)))
            break
    else:
        print("  golden %s\n  now    %s" % (json.dumps({x: w.get(x) for x in ("verdict", "out_frames", "error")}),
                                        json.dumps({x: g.get(x) for x in ("verdict", "out_frames", "error")})))
n_rec = sum(len(v.get("records", [])) for v in got.values())
print("%d traces (%d records): %d as golden, %d differ" % (len(got), n_rec, len(got) - bad, bad))
sys.exit(1 if bad else 0)
PY
pass "every pcap-samples packet traced: records and verdicts as tests/golden/trace_samples.json"
sys_done
