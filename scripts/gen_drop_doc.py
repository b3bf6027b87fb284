#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes docs/drop-reasons.md from the one list in dataplane/drop.h, so the document cannot drift:
#   scripts/gen_drop_doc.py          rewrite the document
#   scripts/gen_drop_doc.py --check  exit 1 if the document is out of date (a unit test runs this)
import re
import sys
from pathlib import Path

top = Path(__file__).resolve().parent.parent
# The folders and their order come from `drop_folders` in the top-level meson.build.
folders = re.findall(r"'(\w+)'", re.search(r"drop_folders = \[(.*?)\]",
                                            (top / "meson.build").read_text()).group(1))
bodies = []
for f in folders:
    src = (top / f / f"{'dp' if f == 'dataplane' else f}_drops.h").read_text()
    bodies.append((f, src[src.index("_DROP_REASONS(X)"):]))
lines = ["# Drop reasons", "",
         "Every packet vnetd drops carries exactly one of these reasons. They are counted per input",
         "port (`vnetctl drops`, `vnetctl drops --json`), named in traces (`vnetctl trace`), and",
         "generated from the lists of every folder (`dataplane/dp_drops.h`,",
         "`<feature>/<feature>_drops.h`, composed by the build: `dataplane/drop.h`); this file is",
         "written by `scripts/gen_drop_doc.py`, and a unit test fails when it is out of date.", "",
         "| reason | module | meaning |", "| --- | --- | --- |"]
for module, body in bodies:
    body = body.replace("\\\n", " ")  # the macro's line continuations
    found = 0
    # A reason's text may be several string literals in a row.
    for m in re.finditer(r'/\*\s*(\w+)\s*\*/|X\((\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', body):
        if m.group(1):
            module = m.group(1)
            continue
        found += 1
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3)))
        if m.group(2) != "NONE":
            lines.append(f"| `{m.group(2).lower()}` | {module} | {text} |")
    if found != len(re.findall(r"\bX\(\w+,", body)):
        print(f"{module}: a reason the script cannot read (X(NAME, \"text\" ...))")
        sys.exit(1)
text = "\n".join(lines) + "\n"
out = top / "docs" / "drop-reasons.md"
if "--check" in sys.argv:
    if not out.exists() or out.read_text() != text:
        print("docs/drop-reasons.md is out of date: run scripts/gen_drop_doc.py")
        sys.exit(1)
    print("docs/drop-reasons.md is up to date")
else:
    out.write_text(text)
