#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/), deterministically,
# from pcap-samples/ and the documents' examples. Run after changing either:
#   /usr/bin/python3 tests/fuzz/make_seeds.py
import json
import re
import struct
from pathlib import Path

from scapy.utils import rdpcap

top = Path(__file__).resolve().parent.parent.parent
out = top / "tests" / "fuzz" / "corpus"


def write(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def samples():
    for pcap in sorted((top / "pcap-samples").glob("*.pcap")):
        yield pcap.stem, [bytes(p) for p in rdpcap(str(pcap))]


for f in out.glob("*/*"):
    f.unlink()

# fuzz_parse: every frame of every sample.
for stem, frames in samples():
    for i, fr in enumerate(frames):
        write("fuzz_parse", f"{stem}_{i}", fr)

# fuzz_graph: each sample as one burst, on port a (index 0) or the underlay (index 5); then a
# few mixed bursts (see the input format in fuzz_graph.c).
def record(port, frame, end=False, traced=False):
    return bytes([port | (0x08 if end else 0) | (0x10 if traced else 0)]) + \
        struct.pack("<H", len(frame)) + frame

all_frames = []
for stem, frames in samples():
    port = 5 if stem.startswith(("vxlan", "underlay")) else 0
    all_frames += [(port, f) for f in frames]
    data = b"".join(record(port, f, i == len(frames) - 1) for i, f in enumerate(frames))
    write("fuzz_graph", stem, data)
    write("fuzz_graph", stem + "_traced", b"".join(record(port, f, traced=True) for f in frames))
# Routed frames from port a (blue, router r's MAC 02:00:00:00:00:fe; fuzz_common.c's rules):
# connected, static via a remote port, ECMP with one next hop unknown (ARP), a next hop no one
# has, blackhole, no route, TTL 1, too big for blue2, echo to the gateway, DHCP, RS.
from scapy.all import ARP, BOOTP, DHCP, ICMP, ICMPv6EchoRequest, ICMPv6ND_RS, IP, IPv6, UDP, Ether, Raw
A, R = "02:00:00:00:01:0a", "02:00:00:00:00:fe"
routed = [Ether(src=A, dst=R) / IP(src="10.0.0.10", dst=d, ttl=t) / UDP(sport=s, dport=53) / Raw(b"r" * n)
          for d, t, s, n in [("10.0.0.11", 64, 1, 4), ("10.50.1.1", 64, 2, 4), ("10.60.1.1", 64, 3, 4),
                             ("10.60.1.2", 64, 4, 4), ("10.70.0.1", 64, 5, 4), ("10.66.0.1", 64, 6, 4),
                             ("8.8.8.8", 64, 7, 4), ("10.50.1.1", 1, 8, 4), ("10.50.1.1", 64, 9, 1400)]]
routed += [Ether(src=A, dst=R) / IP(src="10.0.0.10", dst="10.50.2.2", flags=0) / UDP() / Raw(b"f" * 1380),
           Ether(src=A, dst=R) / IP(src="10.0.0.10", dst="10.0.0.1") / ICMP(),
           Ether(src=A, dst=R) / IPv6(src="fd00::a", dst="fd00::b", hlim=2) / UDP(),
           Ether(src=A, dst=R) / IPv6(src="fd00::a", dst="fd00::1") / ICMPv6EchoRequest(),
           Ether(src=A, dst=R) / ARP(op=2, hwsrc=A, psrc="10.0.0.10"),
           Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
           UDP(sport=68, dport=67) / BOOTP(chaddr=bytes.fromhex(A.replace(":", ""))) /
           DHCP(options=[("message-type", "discover"), "end"]),
           Ether(src=A, dst="33:33:00:00:00:02") / IPv6(src="fe80::ff:fe00:10a", dst="ff02::2", hlim=255) /
           ICMPv6ND_RS()]
routed = [bytes(p) for p in routed]
write("fuzz_graph", "routed", b"".join(record(0, f, i == len(routed) - 1) for i, f in enumerate(routed)))
write("fuzz_graph", "routed_traced", b"".join(record(0, f, traced=True) for f in routed))
all_frames += [(0, f) for f in routed]
for k in range(4):
    sel = all_frames[k::4]
    write("fuzz_graph", f"mixed_{k}",
          b"".join(record((p + (i % 3 if p == 0 else 0)) % 8, f) for i, (p, f) in enumerate(sel)))

# fuzz_rules: the documents of docs/ and the tests' topologies, with net_null devices.
def nullify(text):
    return re.sub(r'"device": "[^"]*"', '"device": "net_null50"', text)

docs = []
for md in ("rules-schema.md", "overlay.md"):
    docs += re.findall(r"```json\n(.*?)```", (top / "docs" / md).read_text(), re.S)
for i, d in enumerate(docs):
    write("fuzz_rules", f"doc_{i}", nullify(d))
topo = json.loads((top / "tests" / "pipeline" / "topology.json").read_text())
topo.pop("description", None)
for i, p in enumerate(topo["ports"]):
    p["device"] = f"net_null{60 + i}"
topo["revision"] = 7
write("fuzz_rules", "pipeline_topology", json.dumps(topo))
ops = {"revision": 9, "ops": [
    {"op": "add", "kind": "port", "object": {"id": "x", "network": "blue", "device": "net_null70",
                                              "mac": "02:00:00:00:01:70", "ips": ["10.0.0.70"]}},
    {"op": "remove", "kind": "port", "id": "b"},
    {"op": "add", "kind": "remote_port", "object": {"network": "blue", "mac": "02:00:00:00:02:71",
                                                     "ips": ["10.0.0.71"], "vtep": "192.0.2.13"}},
    {"op": "replace", "kind": "network", "object": {"id": "red", "tenant": "red", "vni": 5002,
                                                     "mtu": 1400}}]}
write("fuzz_rules", "ops", json.dumps(ops))

# fuzz_ctl: each method with the params vnetctl sends (first byte: the method's index).
methods = ["help", "status", "show.ports", "show.networks", "show.macs", "show.vteps", "stats",
           "drops", "apply", "trace"]
params = {"apply": [{"rules": ops}, {"rules": topo}],
          "trace": [{"port": "a", "packet": (top / "pcap-samples").joinpath("icmp_echo.pcap")
                     and bytes(rdpcap(str(top / "pcap-samples" / "icmp_echo.pcap"))[0]).hex()},
                    {"port": "b", "describe": "from 10.0.0.11 to 10.0.0.10 tcp dport 80 syn"},
                    {"port": "a", "describe": "to 10.9.0.5 http host shop.example path /api"},
                    {"port": "a", "describe": "to fd00::b icmp6 echo vlan 7 ttl 3"},
                    {"port": "a", "describe": "arp who-has 10.0.0.1 tell 10.0.0.10"},
                    {"port": "b", "describe": "to 10.0.0.12 tls sni a.example sport 1 seq 9 ack"},
                    {"port": "a", "describe": "to 10.0.0.12 dns query a.example len 30"},
                    {"port": "underlay", "describe": "vxlan vni 5001 from-vtep 192.0.2.12 from 10.0.0.12 to 10.0.0.10 udp"}],
          "show.macs": [{"network": "red"}]}
for i, m in enumerate(methods):
    for j, p in enumerate(params.get(m, [{}])):
        write("fuzz_ctl", f"{m}_{j}", bytes([i]) + json.dumps(p).encode())
write("fuzz_ctl", "raw_line", b"\xf0" + b'{"jsonrpc": "2.0", "id": "x", "method": "status"}')

# fuzz_config: vnetd configuration files as the tests and docs write them.
cfg = {"eal_args": ["-l", "0,1", "--no-pci", "--file-prefix", "vnet0"],
       "socket": "/run/vnet/vnetd.sock", "workers": [1], "mbufs": 8191,
       "underlay": {"device": "net_null9", "address": "192.0.2.11/24", "gateway": "192.0.2.1",
                    "udp_port": 4789, "mtu": 9000,
                    "static_neighbors": [{"ip": "192.0.2.12", "mac": "02:00:c0:00:02:0c"}]},
       "rules": topo}
write("fuzz_config", "full", json.dumps(cfg, indent=1))
write("fuzz_config", "minimal", json.dumps({"eal_args": ["-l", "0,1"]}))

# fuzz_ct: TCP segments as struct seg (fuzz_ct.c): dir_flags (bit 7: responder), wscale, win,
# dseq, dack (offsets from what each side sent), len.
def seg(resp, flags, wscale=0xff, win=1000, dseq=0, dack=0, ln=0):
    return struct.pack("<BBHhhH", (0x80 if resp else 0) | flags, wscale, win, dseq, dack, ln)

SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04
handshake = seg(0, SYN, 7, 65535) + seg(1, SYN | ACK, 7, 65535) + seg(0, ACK)
write("fuzz_ct", "handshake_close", handshake + seg(0, ACK, ln=100) + seg(1, ACK, ln=1400)
      + seg(0, FIN | ACK) + seg(1, ACK) + seg(1, FIN | ACK) + seg(0, ACK))
write("fuzz_ct", "rst_in_and_out_of_window", handshake + seg(1, RST, dseq=30000) + seg(1, RST, dseq=10)
      + seg(0, ACK))
write("fuzz_ct", "pickup", seg(0, ACK, ln=10) + seg(1, ACK, ln=5) + seg(1, RST, dseq=1 << 14))

# fuzz_l7: the first byte picks the parser (0 HTTP, 1 TLS, 2 DNS), the rest is the stream.
def client_hello(sni, pad=0, rec=16384):
    body = b"\x03\x03" + b"\x11" * 32 + b"\x20" + b"\x22" * 32 + b"\x00\x04\x13\x01\x13\x02" + b"\x01\x00"
    ext = b""
    if sni:
        n = sni.encode()
        ext += struct.pack(">HHHBH", 0, len(n) + 5, len(n) + 3, 0, len(n)) + n
    if pad:
        ext += struct.pack(">HH", 21, pad) + b"\x00" * pad
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(hs[i:i + rec])) + hs[i:i + rec]
                    for i in range(0, len(hs), rec))

def dns_query(*names):
    q = b"".join(b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\x00\x00\x01\x00\x01"
                 for n in names)
    return struct.pack(">HHHHHH", 0x1234, 0x0100, len(names), 0, 0, 0) + q

write("fuzz_l7", "http_get", b"\x00" + b"GET /api/items HTTP/1.1\r\nHost: shop.example:8080\r\nAccept: */*\r\n\r\n")
write("fuzz_l7", "tls_sni", b"\x01" + client_hello("a.example"))
write("fuzz_l7", "tls_pq_records", b"\x01" + client_hello("pq.example", 1500, 700))
write("fuzz_l7", "dns_two", b"\x02" + dns_query("www.example.com", "mail.example.com"))


# fuzz_graph: L7 conversations between a (port 0, not filtered) and b (port 1, group "web" of
# fuzz_common.c: HTTP to *.example/a on 80, TLS to *.example on 443, DNS for a.example): each
# packet its own burst, so that the handshake is seen in order.
from scapy.all import TCP
B = "02:00:00:00:01:0b"
def conv(dport, request, cut=None, sport=40000):
    c, s = 1000, 5000
    pk = [(0, Ether(src=A, dst=B) / IP(src="10.0.0.10", dst="10.0.0.11") / TCP(sport=sport, dport=dport, flags="S", seq=c)),
          (1, Ether(src=B, dst=A) / IP(src="10.0.0.11", dst="10.0.0.10") / TCP(sport=dport, dport=sport, flags="SA", seq=s, ack=c + 1)),
          (0, Ether(src=A, dst=B) / IP(src="10.0.0.10", dst="10.0.0.11") / TCP(sport=sport, dport=dport, flags="A", seq=c + 1, ack=s + 1))]
    parts = [request] if cut is None else [request[:cut], request[cut:]]
    off = 0
    for p in parts:
        pk.append((0, Ether(src=A, dst=B) / IP(src="10.0.0.10", dst="10.0.0.11") /
                   TCP(sport=sport, dport=dport, flags="PA", seq=c + 1 + off, ack=s + 1) / Raw(p)))
        off += len(p)
    return b"".join(record(port, bytes(f), True) for port, f in pk)
write("fuzz_graph", "l7_http_allowed", conv(80, b"GET /a/b HTTP/1.1\r\nHost: w.example\r\n\r\n"))
write("fuzz_graph", "l7_http_denied", conv(80, b"GET /z HTTP/1.1\r\nHost: w.example\r\n\r\n", sport=40001))
write("fuzz_graph", "l7_tls_split", conv(443, client_hello("w.example", 1200), cut=700, sport=40002))
write("fuzz_graph", "l7_tls_held", conv(443, client_hello("w.example", 1200)[:700], sport=40003))
write("fuzz_graph", "l7_dns", b"".join(record(0, bytes(Ether(src=A, dst=B) / IP(src="10.0.0.10", dst="10.0.0.11") /
                                                       UDP(sport=5353, dport=53) / Raw(dns_query(n))), True)
                                       for n in ("a.example", "b.example")))


# fuzz_controller: requests separated by 0x1e, each "METHOD PATH\n" and a body.
def reqs(*rs):
    return b"\x1e".join((m + " " + p + "\n" + (b or "")).encode() for m, p, b in rs)
write("fuzz_controller", "networks", reqs(
    ("POST", "/v2.0/networks", '{"network": {"name": "a", "mtu": "1400"}}'),
    ("GET", "/v2.0/networks?name=a&fields=id&fields=name", None),
    ("PUT", "/v2.0/networks/x", '{"network": {"name": "b"}}'),
    ("DELETE", "/v2.0/networks/x", None)))
write("fuzz_controller", "subnets_ports", reqs(
    ("POST", "/v2.0/networks", '{"network": {"name": "n"}}'),
    ("POST", "/v2.0/subnets", '{"subnet": {"network_id": "n", "ip_version": 4, "cidr": "10.0.0.0/29", '
     '"allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.3"}], "dns_nameservers": ["10.0.0.53"], '
     '"host_routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.9"}]}}'),
    ("POST", "/v2.0/subnets", '{"subnet": {"network_id": "n", "ip_version": 6, "cidr": "fd00::/64", '
     '"ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac"}}'),
    ("POST", "/v2.0/ports", '{"port": {"network_id": "n", "fixed_ips": [{"ip_address": "10.0.0.2"}], '
     '"allowed_address_pairs": [{"ip_address": "10.0.0.0/24", "mac_address": "fa:16:3e:00:00:01"}]}}'),
    ("GET", "/v2.0/ports?network_id=n", None)))
write("fuzz_controller", "tokens", reqs(
    ("POST", "/v3/auth/tokens", '{"auth": {"identity": {"password": {"user": {"name": "u", "password": "pw"}}}, '
     '"scope": {"project": {"name": "p"}}}}'),
    ("GET", "/v3", None), ("GET", "/", None), ("GET", "/v2.0/extensions", None)))
write("fuzz_controller", "security_groups", reqs(
    ("GET", "/v2.0/security-groups", None),
    ("POST", "/v2.0/security-groups", '{"security_group": {"name": "web"}}'),
    ("POST", "/v2.0/security-group-rules", '{"security_group_rule": {"security_group_id": "x", "direction": "ingress", '
     '"protocol": "tcp", "port_range_min": "80", "port_range_max": 81, "remote_ip_prefix": "10.0.0.0/8", '
     '"vnet:l7": {"http": {"host": "a.example"}}}}'),
    ("GET", "/v2.0/security-group-rules?direction=ingress", None),
    ("DELETE", "/v2.0/security-groups/x", None)))
write("fuzz_controller", "routers", reqs(
    ("POST", "/v2.0/routers", '{"router": {"name": "r", "routes": []}}'),
    ("PUT", "/v2.0/routers/x/add_router_interface", '{"subnet_id": "s"}'),
    ("PUT", "/v2.0/routers/x", '{"router": {"routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.9"}]}}'),
    ("PUT", "/v2.0/routers/x/remove_router_interface", '{"port_id": "p"}'),
    ("DELETE", "/v2.0/routers/x", None)))
write("fuzz_controller", "hosts", reqs(
    ("POST", "/v2.0/networks", '{"network": {"name": "n"}}'),
    ("POST", "/vnet/v1/hosts", '{"name": "hv1", "vtep": "192.0.2.1"}'),
    ("POST", "/v2.0/ports", '{"port": {"network_id": "n", "binding:host_id": "hv1"}}'),
    ("GET", "/vnet/v1/hosts/hv1/rules", None),
    ("GET", "/vnet/v1/hosts/hv1/rules?since=1&ops=1", None),
    ("POST", "/vnet/v1/hosts/hv1/status", '{"revision": 3, "ports": {"p": "ACTIVE"}}'),
    ("GET", "/vnet/v1/hosts/hv2/rules?since=x", None)))
