#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/openapi.yaml is valid YAML of an OpenAPI 3 document, its $refs resolve, and it describes
every route vnet-controller serves (the prefixes api_handle dispatches on, read from its source)."""
import pathlib
import re
import sys

import yaml

top = pathlib.Path(__file__).resolve().parents[3]
doc = yaml.safe_load((top / "docs" / "openapi.yaml").read_text())
problems = []
if not str(doc.get("openapi", "")).startswith("3."):
    problems.append("not an OpenAPI 3 document")
paths = doc.get("paths", {})
# Every resource the API dispatches on ("networks", "security-groups", ...) has a path.
src = (top / "controller-agent" / "controller" / "api.c").read_text()
served = set(re.findall(r'strncmp\(path, "([a-z-]+)", \d+\) == 0', src))
served |= set(re.findall(r'strcmp\(path, "([a-z-]+)"\) == 0 && strcmp\(method', src))
for r in sorted(served):
    if "/v2.0/" + r not in paths:
        problems.append(f"/v2.0/{r} is served but not described")
for p in ["/", "/v3", "/v3/auth/tokens", "/metrics", "/vnet/v1/hosts", "/vnet/v1/hosts/{name}/rules",
          "/vnet/v1/hosts/{name}/status", "/v2.0/routers/{id}/add_router_interface"]:
    if p not in paths:
        problems.append(f"{p} is not described")
def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)
for ref in refs(doc):
    target = doc
    for part in ref.lstrip("#/").split("/"):
        target = target.get(part) if isinstance(target, dict) else None
    if target is None:
        problems.append(f"$ref {ref} does not resolve")
for p in problems:
    print(p)
print(f"docs/openapi.yaml: {len(paths)} paths, {len(served)} resources served, {len(problems)} problems")
sys.exit(1 if problems else 0)
