#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The engine names no feature (issue 7, ../shared/DESIGN.md): outside comments, no file of
# dataplane/ mentions a feature's folder or one of its nodes. Features reach the engine through
# its registries and attach points instead. Exit 1, listing each offending line, if one does.
import re
import sys
from pathlib import Path

top = Path(__file__).resolve().parents[3]
words = re.compile(r"vswitch|overlay|vrouter|firewall|l2_|vxlan|underlay|port_security",
                   re.IGNORECASE)
bad = []
for path in sorted((top / "dataplane").iterdir()):
    if path.suffix not in (".c", ".h", ".in"):
        continue
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), path.read_text(),
                  flags=re.S)
    for n, line in enumerate(text.split("\n"), 1):
        code = line.split("//", 1)[0]
        if words.search(code):
            bad.append(f"{path.relative_to(top)}:{n}: {line.strip()}")
if bad:
    print("dataplane/ names a feature (use a registry or an attach point):")
    print("\n".join(bad))
    sys.exit(1)
print("dataplane/ names no feature")
