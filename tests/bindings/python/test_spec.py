"""xrun.Spec: job specs built field by field through xrun_spec_*: the JSON
they make, refusals naming the field, and real local jobs whose argv and
environment hold text that hand-made JSON would have broken."""
import json

import pytest

import xrun

HOSTILE = 'say "hi" \\n not a newline\\\nreal newline\ttab $(echo no) `no` \'single\' \\'
HOSTILE_ENV = '{"json": "in a value"}\n\\\\server\\share $HOME ünïcode'


def test_keyword_fields_make_the_json():
    spec = xrun.Spec(name="relax", machine="cluster1", command=["pw.x", "-in", "relax in.in"],
                     env={"OMP_NUM_THREADS": "1"},
                     resources={"nodes": 2, "tasks_per_node": "32", "memory": "64G", "walltime": "1-00:00:00",
                                "partition": "standard", "account": "proj42"},
                     upload=["si.in"], retrieve=["pw.out"], retrieve_to="~/results/relax", parser="auto",
                     parse_file="pw.out", depends_on=["01J9Z8Q4W8K6T7M2V3X5Y6Z7A8"], hold=True,
                     cleanup="on_success", array="0-9")
    assert json.loads(spec.to_json()) == {
        "name": "relax", "machine": "cluster1", "argv": ["pw.x", "-in", "relax in.in"],
        "env": {"OMP_NUM_THREADS": "1"},
        "resources": {"nodes": 2, "tasks_per_node": 32, "memory": "64G", "walltime": "1-00:00:00",
                      "partition": "standard", "account": "proj42"},
        "upload": ["si.in"], "retrieve": ["pw.out"], "retrieve_to": "~/results/relax", "parser": "auto",
        "parse_file": "pw.out", "depends_on": ["01J9Z8Q4W8K6T7M2V3X5Y6Z7A8"], "hold": True,
        "cleanup": "on_success", "array": "0-9"}
    spec.close()
    with pytest.raises(ValueError, match="closed xrun spec"):
        spec.to_json()


def test_setters_chain_and_refusals_name_the_field():
    with xrun.Spec() as spec:
        with pytest.raises(xrun.InvalidError, match='"command" or "argv" is required'):
            spec.to_json()
        assert spec.set_command("echo ok").set_resource("walltime", "90") is spec
        before = spec.to_json()
        with pytest.raises(xrun.InvalidError, match=r"job spec: \$\.resources\.walltime: expected"):
            spec.set_resource("walltime", "1h")
        with pytest.raises(xrun.InvalidError, match=r'\$\.resources\.walltme: unknown key; did you mean "walltime"'):
            spec.set_resource("walltme", "01:00:00")
        with pytest.raises(xrun.InvalidError, match=r"\$\.resources\.memory"):
            spec.set_resource("memory", "lots")
        with pytest.raises(xrun.InvalidError, match=r"\$\.resources\.nodes: must be at least 1"):
            spec.set_resource("nodes", 0)
        with pytest.raises(xrun.InvalidError, match=r"\$\.resources\.memory: expected a string"):
            spec.set_resource("memory", 4)
        with pytest.raises(TypeError):
            spec.set_resource("nodes", True)
        with pytest.raises(xrun.InvalidError, match=r"\$\.parser"):
            spec.set_parser("gaussian")
        with pytest.raises(xrun.InvalidError, match=r"\$\.retrieve"):
            spec.add_retrieve("../outside")
        with pytest.raises(xrun.InvalidError, match="not a flag"):
            spec.set_flag("hodl")
        with pytest.raises(xrun.InvalidError, match='either "command" or "argv"'):
            spec.add_arg("echo")
        with pytest.raises(ValueError, match="NUL"):
            spec.set_name("a\0b")
        with pytest.raises(TypeError):
            spec.set_name(None)
        assert spec.to_json() == before == '{"command":"echo ok","resources":{"walltime":"90"}}'
    with pytest.raises(TypeError, match="unknown field"):
        xrun.Spec(comand="true")
    with pytest.raises(ValueError, match="either command or argv"):
        xrun.Spec(command=["true"], argv=["true"])


def test_hostile_text_arrives_unchanged(ctx):
    spec = xrun.Spec(name="it's \"quoted\"\nand\\slashed")
    spec.add_args(["sh", "-c", 'printf "%s\\n" "$1" "$XRUN_HOSTILE"', "sh", HOSTILE])
    spec.set_env("XRUN_HOSTILE", HOSTILE_ENV)
    with ctx.submit(spec) as job:
        assert job.wait(timeout=60) == xrun.State.COMPLETED, job.reason
        assert job.read_file("stdout").decode("utf-8") == HOSTILE + "\n" + HOSTILE_ENV + "\n"
        info = job.info()
        assert info["name"] == "it's \"quoted\"\nand\\slashed"
        assert info["spec"]["argv"][-1] == HOSTILE
    # The same spec through the batch call: its JSON is escaped, not pasted.
    result = ctx.submit_batch([spec])
    assert "error" not in result[0], result
    with ctx.job(result[0]["id"]) as job:
        job.wait(timeout=60)
        assert job.read_file("stdout").decode("utf-8") == HOSTILE + "\n" + HOSTILE_ENV + "\n"
    spec.close()


def test_submit_refusals_and_defer(ctx, tmp_path):
    with xrun.Spec(command="true", machine="no-such-machine") as spec:
        with pytest.raises(xrun.NotFoundError):
            ctx.submit(spec)
    with xrun.Spec(command="true", hold=True) as spec:
        with pytest.raises(xrun.UnsupportedError):
            ctx.submit(spec)
    with xrun.Spec(command="true", upload=[str(tmp_path / "missing.in")]) as spec:
        with pytest.raises(xrun.InvalidError, match=r"\$\.upload: cannot read"):
            ctx.submit(spec)
        with pytest.raises(TypeError, match="not both"):
            ctx.submit(spec, name="x")
    assert ctx.jobs() == []

    data = tmp_path / "in put.txt"
    data.write_text('uploaded "text"\n')
    with xrun.Spec(command='cat "in put.txt"', upload=[str(data)], defer=True) as spec:
        with ctx.submit(spec) as job:
            assert job.state == xrun.State.WAITING
            assert job.info()["waiting_for"] == "deferred"
            job.send()
            assert job.wait(timeout=60) == xrun.State.COMPLETED, job.reason
            assert job.read_file("stdout") == b'uploaded "text"\n'


def test_batch_of_specs(ctx):
    first = xrun.Spec(command=["printf", "%s", HOSTILE])
    second = xrun.Spec(command="echo second")
    incomplete = xrun.Spec(name="no command")
    with pytest.raises(xrun.InvalidError, match='job 2: job spec: "command" or "argv" is required'):
        ctx.submit_batch([first, second, incomplete])
    assert ctx.jobs() == []
    outcomes = ctx.submit_batch([first, second])
    assert [o.get("error") for o in outcomes] == [None, None]
    with ctx.job(outcomes[0]["id"]) as job:
        assert job.wait(timeout=60) == xrun.State.COMPLETED, job.reason
        assert job.read_file("stdout").decode("utf-8") == HOSTILE
    # Specs and dicts mixed go through the JSON call.
    mixed = ctx.submit_batch([second, {"command": "true"}])
    assert len(mixed) == 2 and "error" not in mixed[1]
    for spec in (first, second, incomplete):
        spec.close()
