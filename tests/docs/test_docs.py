#!/usr/bin/python3
"""docs/MACHINES.md, docs/JOBSPEC.md, their JSON Schemas and the loaders agree.

1. The keys each loader accepts -- read from its key tables in
   lib/machine/machine_reader.cpp, lib/machine/loader.cpp and
   lib/core/job_spec.cpp -- are exactly the schema's properties and the
   keys the reference page documents (no drift in any direction).
2. Every ```json example of the two pages validates against its schema
   (Debian python3-jsonschema) and loads: the machine files are written to
   a temporary XRUN_HOME and listed by the xrun tool; each job spec goes
   through the library's own spec parser (argv[1]).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema

SRC = Path(os.environ.get("XRUN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
TOOL = os.environ["XRUN_TOOL"]
PARSE_SPEC = sys.argv[1]
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def cpp_table(path, pattern):
    """The quoted names of the first initializer list matching `pattern`."""
    text = (SRC / path).read_text()
    m = re.search(pattern + r"\s*=?\s*\{(.*?)\}", text, re.S)
    if not m:
        sys.exit(f"cannot find {pattern} in {path}: the key table moved; update this test")
    return set(re.findall(r'"([^"]+)"', m.group(1)))


def doc_keys(path):
    """Keys in the first column of the page's tables: | `key` | ..."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", (SRC / path).read_text(), re.M))


def doc_examples(path):
    """(file named just before the block, parsed JSON) for each ```json block."""
    text = (SRC / path).read_text()
    out = []
    for m in re.finditer(r"```json\n(.*?)```", text, re.S):
        before = text[: m.start()]
        named = re.findall(r"`~/\.xrun/([\w./-]+\.json)`", before.split("```")[-1])
        out.append((named[-1] if named else None, json.loads(m.group(1))))
    return out


def compare(name, code, schema, doc=None):
    check(code == schema, f"{name}: loader keys == schema keys"
          + ("" if code == schema else f" (only in loader: {sorted(code - schema)}, only in schema: {sorted(schema - code)})"))
    if doc is not None:
        check(code <= doc, f"{name}: every loader key is documented"
              + ("" if code <= doc else f" (undocumented: {sorted(code - doc)})"))


machines_schema = json.loads((SRC / "docs/schemas/machines.schema.json").read_text())
spec_schema = json.loads((SRC / "docs/schemas/jobspec.schema.json").read_text())
defs = machines_schema["$defs"]

# 1. No drift.
machine_doc = doc_keys("docs/MACHINES.md")
compare("machine", cpp_table("lib/machine/machine_reader.cpp", r"kMachineKeys"),
        set(defs["machine"]["properties"]), machine_doc)
compare("machine auth", cpp_table("lib/machine/machine_reader.cpp", r"kAuthKeys"),
        set(defs["machine"]["properties"]["auth"]["properties"]), machine_doc)
compare("machine resources", cpp_table("lib/machine/machine_reader.cpp", r"kResourceKeys"),
        set(defs["resources"]["properties"]), machine_doc)
compare("machines.json", cpp_table("lib/machine/loader.cpp", r"top\.check_keys\("),
        set(defs["machines_file"]["properties"]))
spec_doc = doc_keys("docs/JOBSPEC.md")
compare("job spec", cpp_table("lib/core/job_spec.cpp", r"kSpecKeys"), set(spec_schema["properties"]), spec_doc)
compare("job spec resources", cpp_table("lib/core/job_spec.cpp", r"kResourceKeys"),
        set(spec_schema["properties"]["resources"]["properties"]), machine_doc)
check(not (machine_doc - cpp_table("lib/machine/machine_reader.cpp", r"kMachineKeys")
           - cpp_table("lib/machine/machine_reader.cpp", r"kAuthKeys")
           - cpp_table("lib/machine/machine_reader.cpp", r"kResourceKeys")),
      "MACHINES.md documents no key the loader does not accept")
check(not (spec_doc - set(spec_schema["properties"])), "JOBSPEC.md documents no key the parser does not accept")

# The schemas are schemas, and they refuse what the loaders refuse.
for schema in (machines_schema, spec_schema):
    jsonschema.Draft202012Validator.check_schema(schema)
mv = jsonschema.Draft202012Validator(machines_schema)
sv = jsonschema.Draft202012Validator(spec_schema)
check(not mv.is_valid({"machines": {"x": {"remot_auth": 1}}}), "machines schema refuses an unknown key")
check(not sv.is_valid({"command": "true", "wallclock": "1"}), "job spec schema refuses an unknown key")
check(not sv.is_valid({"command": "true", "argv": ["true"]}), "job spec schema refuses command and argv together")

# 2. Every example validates and loads.
with tempfile.TemporaryDirectory(prefix="xrun-docs-") as home:
    names = set()
    default = None
    for named, example in doc_examples("docs/MACHINES.md"):
        errors = [e.message for e in mv.iter_errors(example)]
        check(not errors and named, f"MACHINES.md example {named}: validates against machines.schema.json {errors}")
        if not named:
            continue
        target = Path(home) / named
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(example))
        if named == "machines.json":
            names |= set(example.get("machines", {}))
        elif named == "machines/default.json":
            default = example["default"]
        else:
            names.add(Path(named).stem)
    env = dict(os.environ, XRUN_HOME=home)
    env.pop("XRUN_DEFAULT_MACHINE", None)
    run = subprocess.run([TOOL, "machines", "list", "--json"], env=env, capture_output=True, text=True)
    check(run.returncode == 0, f"the xrun tool loads every MACHINES.md example: {run.stderr.strip()}")
    if run.returncode == 0:
        listed = json.loads(run.stdout)
        got = {m["name"] for m in listed["machines"]}
        check(names <= got, f"every example machine is listed ({sorted(names)} in {sorted(got)})")
        check(listed["default"] == default, f"machines/default.json sets the default ({listed['default']})")

    specs = doc_examples("docs/JOBSPEC.md")
    check(len(specs) >= 3, f"JOBSPEC.md has examples ({len(specs)})")
    files = []
    for i, (_, example) in enumerate(specs):
        errors = [e.message for e in sv.iter_errors(example)]
        check(not errors, f"JOBSPEC.md example {i + 1}: validates against jobspec.schema.json {errors}")
        f = Path(home) / f"spec{i + 1}.json"
        f.write_text(json.dumps(example))
        files.append(str(f))
    run = subprocess.run([PARSE_SPEC, *files], capture_output=True, text=True)
    print(run.stdout, end="")
    check(run.returncode == 0, "the library's parser accepts every JOBSPEC.md example")

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("docs, schemas and loaders agree")
