#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# The controller's access matrix (issue 11), over HTTPS: every tenant's token (members of two
# projects, a reader, an admin, an expired, a forged and no token) against every resource endpoint
# and every other project's objects, and every host certificate (its own host, another host's, one
# from another CA, none) against the agents' API. Counts the requests that should have been
# refused and were not: the test fails unless there are none. Prints one line per group.
#
# usage: controller_access.py URL CA_DIR ROGUE_DIR EXPIRED_TOKEN
import http.client
import json
import ssl
import sys
import urllib.parse

URL, CA, ROGUE, EXPIRED = sys.argv[1:5]
u = urllib.parse.urlparse(URL)
checks = 0
breaches = []


def ctx(cert_dir=None, name=None):
    c = ssl.create_default_context(cafile=f"{CA}/ca.pem")
    if name is not None:
        c.load_cert_chain(f"{cert_dir}/{name}.pem", f"{cert_dir}/{name}.key")
    return c


def call(method, path, token=None, body=None, cert=None):
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=cert or ctx(), timeout=30)
    h = {"Content-Type": "application/json"}
    if token is not None:
        h["X-Auth-Token"] = token
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=h)
    r = conn.getresponse()
    data = r.read()
    tok = r.getheader("X-Subject-Token")
    conn.close()
    try:
        j = json.loads(data) if data else None
    except ValueError:
        j = None
    return r.status, j, tok


def token(user, project):
    st, _, tok = call("POST", "/v3/auth/tokens", body={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": "pw-" + user}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
    assert st == 201 and tok, (user, st)
    return tok


def must(ok, what):
    global checks
    checks += 1
    if not ok:
        breaches.append(what)


def create(tok, kind, path, body):
    st, j, _ = call("POST", path, tok, {kind: body})
    assert st == 201, (path, st, j)
    return j[kind]["id"]


TOK = {"alice": token("alice", "blue"), "bob": token("bob", "red"),
       "carol": token("carol", "blue"), "root": token("root", "admin")}

# Each member project's objects, of every kind.
objs = {}
for user, net in (("alice", "10.1.0.0/24"), ("bob", "10.1.0.0/24")):  # the same address plan
    t = TOK[user]
    o = {}
    o["networks"] = create(t, "network", "/v2.0/networks", {"name": "n-" + user})
    o["subnets"] = create(t, "subnet", "/v2.0/subnets",
                          {"network_id": o["networks"], "ip_version": 4, "cidr": net})
    o["ports"] = create(t, "port", "/v2.0/ports", {"network_id": o["networks"]})
    o["security-groups"] = create(t, "security_group", "/v2.0/security-groups", {"name": "g"})
    o["security-group-rules"] = create(t, "security_group_rule", "/v2.0/security-group-rules",
                                       {"security_group_id": o["security-groups"],
                                        "direction": "ingress", "protocol": "tcp",
                                        "port_range_min": 80, "port_range_max": 80})
    o["routers"] = create(t, "router", "/v2.0/routers", {"name": "r"})
    objs[user] = o

SINGULAR = {"networks": "network", "subnets": "subnet", "ports": "port",
            "security-groups": "security_group", "security-group-rules": "security_group_rule",
            "routers": "router"}
UPDATE = {"networks": {"name": "taken"}, "subnets": {"name": "taken"}, "ports": {"name": "taken"},
          "security-groups": {"name": "taken"}, "security-group-rules": None,
          "routers": {"name": "taken"}}
NEW = {"networks": {"name": "x"}, "subnets": None, "ports": None,
       "security-groups": {"name": "x"}, "security-group-rules": None, "routers": {"name": "x"}}

# 1. Another project's objects: invisible (lists), 404 (show, update, delete), and not usable as
# a reference.
for user, other in (("alice", "bob"), ("bob", "alice"), ("carol", "bob")):
    t = TOK[user]
    for kind, oid in objs[other].items():
        st, j, _ = call("GET", f"/v2.0/{kind}", t)
        ids = [x["id"] for x in (j or {}).get(kind.replace("-", "_"), [])]
        must(st == 200 and oid not in ids, f"{user} lists {other}'s {kind}")
        st, _, _ = call("GET", f"/v2.0/{kind}/{oid}", t)
        must(st == 404, f"{user} GET {other}'s {kind}: {st}")
        if UPDATE[kind] is not None:
            st, _, _ = call("PUT", f"/v2.0/{kind}/{oid}", t, {SINGULAR[kind]: UPDATE[kind]})
            must(st in (403, 404), f"{user} PUT {other}'s {kind}: {st}")
        st, _, _ = call("DELETE", f"/v2.0/{kind}/{oid}", t)
        must(st in (403, 404), f"{user} DELETE {other}'s {kind}: {st}")
    o = objs[other]
    for path, body in (
            ("/v2.0/subnets", {"subnet": {"network_id": o["networks"], "ip_version": 4,
                                          "cidr": "10.9.0.0/24"}}),
            ("/v2.0/ports", {"port": {"network_id": o["networks"]}}),
            ("/v2.0/ports", {"port": {"network_id": objs[user if user != "carol" else "alice"]["networks"],
                                      "security_groups": [o["security-groups"]]}}),
            ("/v2.0/security-group-rules", {"security_group_rule": {
                "security_group_id": o["security-groups"], "direction": "ingress"}}),
            ("/v2.0/security-group-rules", {"security_group_rule": {
                "security_group_id": objs[user if user != "carol" else "alice"]["security-groups"],
                "direction": "ingress", "remote_group_id": o["security-groups"]}})):
        st, _, _ = call("POST", path, t, body)
        must(st in (400, 403, 404), f"{user} POST {path} naming {other}'s objects: {st}")
    for action, body in (("add_router_interface", {"subnet_id": o["subnets"]}),
                         ("add_router_interface", {"port_id": o["ports"]})):
        mine = objs[user if user != "carol" else "alice"]["routers"]
        st, _, _ = call("PUT", f"/v2.0/routers/{mine}/{action}", t, body)
        must(st in (400, 403, 404), f"{user} {action} with {other}'s {list(body)[0]}: {st}")
        st, _, _ = call("PUT", f"/v2.0/routers/{o['routers']}/{action}", t, body)
        must(st in (403, 404), f"{user} {action} on {other}'s router: {st}")
print(f"other projects' objects: {checks} checks")

# 2. The reader: sees its project, writes nothing.
n0 = checks
for kind, oid in objs["alice"].items():
    st, _, _ = call("GET", f"/v2.0/{kind}/{oid}", TOK["carol"])
    must(st == 200, f"carol cannot read her project's {kind}: {st}")
    if NEW[kind] is not None:
        st, _, _ = call("POST", f"/v2.0/{kind}", TOK["carol"], {SINGULAR[kind]: NEW[kind]})
        must(st == 403, f"carol POST {kind}: {st}")
    if UPDATE[kind] is not None:
        st, _, _ = call("PUT", f"/v2.0/{kind}/{oid}", TOK["carol"], {SINGULAR[kind]: UPDATE[kind]})
        must(st == 403, f"carol PUT {kind}: {st}")
    st, _, _ = call("DELETE", f"/v2.0/{kind}/{oid}", TOK["carol"])
    must(st == 403, f"carol DELETE {kind}: {st}")
st, _, _ = call("PUT", f"/v2.0/routers/{objs['alice']['routers']}/add_router_interface",
                TOK["carol"], {"subnet_id": objs["alice"]["subnets"]})
must(st == 403, f"carol add_router_interface: {st}")
print(f"reader: {checks - n0} checks")

# 3. Bad tokens: every endpoint, every method, 401.
n0 = checks
FORGED = "f" * 64
for name, t in (("expired", EXPIRED), ("forged", FORGED), ("none", None)):
    for kind, oid in objs["alice"].items():
        for method, path, body in (("GET", f"/v2.0/{kind}", None),
                                   ("GET", f"/v2.0/{kind}/{oid}", None),
                                   ("POST", f"/v2.0/{kind}", {SINGULAR[kind]: {"name": "x"}}),
                                   ("PUT", f"/v2.0/{kind}/{oid}", {SINGULAR[kind]: {"name": "x"}}),
                                   ("DELETE", f"/v2.0/{kind}/{oid}", None)):
            st, _, _ = call(method, path, t, body)
            must(st == 401, f"{name} token {method} {path}: {st}")
    for method, path in (("GET", "/v2.0/agents"), ("GET", "/v2.0/extensions"),
                         ("GET", "/vnet/v1/hosts/hv1/rules"), ("POST", "/vnet/v1/hosts")):
        st, _, _ = call(method, path, t, {"name": "hv1", "vtep": "10.0.0.1"})
        must(st == 401, f"{name} token {method} {path}: {st}")
print(f"expired, forged and missing tokens: {checks - n0} checks")

# 4. The agents' API: tenants' tokens are refused; each host certificate reaches its own host only;
# a certificate from another CA, or none, is nobody.
n0 = checks
for user in ("alice", "bob", "carol"):
    for method, path, body in (("POST", "/vnet/v1/hosts", {"name": "hv9", "vtep": "10.0.0.9"}),
                               ("GET", "/vnet/v1/hosts/hv1/rules", None),
                               ("POST", "/vnet/v1/hosts/hv1/status", {"revision": 1})):
        st, _, _ = call(method, path, TOK[user], body)
        must(st == 403, f"{user}'s token {method} {path}: {st}")
HV1, HV2, ROGUE1 = ctx(CA, "hv1"), ctx(CA, "hv2"), ctx(ROGUE, "hv1")
st, _, _ = call("POST", "/vnet/v1/hosts", cert=HV1, body={"name": "hv1", "vtep": "10.0.0.1"})
must(st == 200, f"hv1 cannot register itself: {st}")
st, _, _ = call("POST", "/vnet/v1/hosts", cert=HV2, body={"name": "hv2", "vtep": "10.0.0.2"})
must(st == 200, f"hv2 cannot register itself: {st}")
st, j, _ = call("GET", "/vnet/v1/hosts/hv1/rules", cert=HV1)
must(st == 200 and "document" in (j or {}), f"hv1 cannot read its rules: {st}")
for name, c in (("hv2's certificate", HV2), ("a rogue CA's hv1", ROGUE1), ("no certificate", None)):
    refused = (403,) if c is HV2 else (401,)
    for method, path, body in (("POST", "/vnet/v1/hosts", {"name": "hv1", "vtep": "10.0.0.66"}),
                               ("GET", "/vnet/v1/hosts/hv1/rules", None),
                               ("GET", "/vnet/v1/hosts/hv1/rules?since=0", None),
                               ("POST", "/vnet/v1/hosts/hv1/status", {"revision": 999}),
                               ("GET", "/vnet/v1/hosts", None)):
        st, _, _ = call(method, path, cert=c, body=body)
        must(st in refused, f"{name}: {method} {path}: {st}")
for c, name in ((HV1, "hv1"), (HV2, "hv2")):
    for kind in objs["alice"]:
        st, _, _ = call("GET", f"/v2.0/{kind}", cert=c)
        must(st == 401, f"{name}'s certificate lists {kind}: {st}")
    st, _, _ = call("POST", "/v2.0/networks", cert=c, body={"network": {"name": "x"}})
    must(st == 401, f"{name}'s certificate creates a network: {st}")
# Nothing the refused agents sent took effect: hv1's VTEP and applied revision are its own.
st, j, _ = call("GET", "/v2.0/agents", TOK["root"])
hv1 = [a for a in j["agents"] if a["host"] == "hv1"]
must(st == 200 and len(hv1) == 1, f"hv1 is not among the agents: {j}")
print(f"agents' API and host certificates: {checks - n0} checks")

# 5. Nothing refused changed anything: every object is as its owner made it.
n0 = checks
for user in ("alice", "bob"):
    for kind, oid in objs[user].items():
        st, j, _ = call("GET", f"/v2.0/{kind}/{oid}", TOK[user])
        obj = (j or {}).get(SINGULAR[kind], {})
        must(st == 200 and obj.get("name") != "taken", f"{user}'s {kind} changed or gone: {st} {obj}")
print(f"objects unchanged: {checks - n0} checks")

print(f"access matrix: {checks} checks, {len(breaches)} unauthorized successes")
for b in breaches:
    print("BREACH:", b)
sys.exit(1 if breaches else 0)
