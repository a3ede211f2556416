#!/usr/bin/env python3
"""Every function of include/xrun.h says which status codes it returns: its
doc comment (or the comment of the group of declarations it belongs to)
names XRUN_OK / XRUN_E_* codes, or says "No status code"."""
import re
import sys

header = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"//[^\n]*", "", header)
missing = []
for m in re.finditer(r"^XRUN_API[^;]*?\b(xrun_\w+)\s*\(", text, re.M):
    before = text[: m.start()]
    # Back over the declarations of the same group (no blank line between).
    chunk_start = before.rfind("*/")
    between = before[chunk_start + 2 :] if chunk_start >= 0 else before
    if chunk_start < 0 or "\n\n" in between.strip("\n") or between.count("\n") > 40:
        missing.append(m.group(1))
        continue
    comment = before[before.rfind("/*", 0, chunk_start) : chunk_start]
    if not re.search(r"XRUN_(OK|E_\w+)|No status code", comment):
        missing.append(m.group(1))
if missing:
    print("functions whose comment names no status code: " + ", ".join(missing))
    sys.exit(1)
print("every function names its status codes")
