#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Clients for the controller's failover test (controller_etcd_failover_test.sh), each trying the
# controllers' URLs in turn when one does not answer:
#   writer URLS TOKEN NETWORK HOST OUT STOPFILE: create ports until STOPFILE exists; append the id
#     of each port the API acknowledged (201) to OUT, one per line; count what failed.
#   agent URLS TOKEN HOST OUT STOPFILE: a simulated agent: long-poll the host's rules from the last
#     revision it has, switching controllers when one dies; write "REVISION PORT_IDS..." of the
#     newest document to OUT after each one.
import http.client
import json
import os
import sys
import time
import urllib.parse


def call(url, method, path, token, body=None, timeout=10):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, body=None if body is None else json.dumps(body),
                  headers={"X-Auth-Token": token, "Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)
    finally:
        c.close()


def writer(urls, token, network, host, out, stop):
    i = acked = failed = 0
    with open(out, "a") as f:
        while not os.path.exists(stop):
            url = urls[i % len(urls)]
            try:
                st, j = call(url, "POST", "/v2.0/ports", token,
                             {"port": {"network_id": network, "binding:host_id": host,
                                       "device_owner": "compute:nova"}})
            except OSError:
                i += 1  # that controller is gone: the next one
                failed += 1
                time.sleep(0.05)
                continue
            if st == 201:
                f.write(j["port"]["id"] + "\n")
                f.flush()
                acked += 1
            else:
                failed += 1
                time.sleep(0.05)
    print(f"writer: {acked} acknowledged, {failed} failed or refused")


def agent(urls, token, host, out, stop):
    i = 0
    rev = None
    while not os.path.exists(stop):
        url = urls[i % len(urls)]
        path = f"/vnet/v1/hosts/{host}/rules" + (f"?since={rev}" if rev is not None else "")
        try:
            st, j = call(url, "GET", path, token, timeout=10)
        except OSError:
            i += 1
            time.sleep(0.05)
            continue
        if st != 200:
            time.sleep(0.05)
            continue
        if "document" in j:
            rev = j["revision"]
            ids = [p["id"] for p in j["document"].get("ports", [])]
            tmp = out + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{rev} {url} " + " ".join(ids) + "\n")
            os.replace(tmp, out)


if __name__ == "__main__":
    mode, urls, token = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    if mode == "writer":
        writer(urls, token, *sys.argv[4:8])
    else:
        agent(urls, token, *sys.argv[4:7])
