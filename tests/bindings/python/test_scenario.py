"""The shared binding scenario (the same steps run in C, Rust and Fortran):
context on a temporary XRUN_HOME, machines, a bad config, submit, poll,
wait, cancel, list, events, parsing, error mapping. Real jobs run on this
host through the built-in `local` machine."""
import gc
import json
import os
import time

import pytest

try:
    import numpy
except ImportError:  # the lists path is tested then
    numpy = None

import xrun

WAIT_S = 30


def test_context_opens_on_temporary_home(ctx, home):
    assert ctx.home == str(home)
    if os.environ.get("XRUN_STORE", "").startswith("postgresql://"):
        assert ctx.store_path.startswith("postgresql://")
    else:
        assert ctx.store_path.startswith(str(home))
    assert xrun.lib.xrun_version_number() == xrun.XRUN_VERSION_NUMBER


def test_explicit_home_argument_wins(tmp_path, home):
    other = tmp_path / "other-home"
    with xrun.Context(home=other) as ctx:
        assert ctx.home == str(other)


def test_local_machine_is_built_in(ctx):
    listing = ctx.machines()
    assert listing["default"] == "local" == ctx.default_machine
    assert [m["name"] for m in listing["machines"]] == ["local"]
    with ctx.machine("local") as machine:
        assert machine.name == "local"
        assert machine.config["scheduler"] == "direct"
    with ctx.machine() as machine:
        assert machine.name == "local"


def test_unknown_machine_is_not_found(ctx):
    with pytest.raises(xrun.NotFoundError) as info:
        ctx.machine("no-such-machine")
    assert info.value.status == xrun.lib.XRUN_E_NOT_FOUND
    assert "no-such-machine" in info.value.message


def test_bad_config_raises_config_error(home):
    (home / "machines.json").write_text(json.dumps(
        {"machines": {"m1": {"execution": "local", "scheduler": "direct", "remot_auth": {}}}}))
    with pytest.raises(xrun.ConfigError) as info:
        xrun.Context()
    assert info.value.name == "XRUN_E_CONFIG"
    assert "remot_auth" in info.value.message
    assert "machines.json" in info.value.message


def test_configured_machine_loads(home):
    (home / "machines.json").write_text(json.dumps(
        {"default": "box", "machines": {"box": {"execution": "local", "scheduler": "direct"}}}))
    with xrun.Context() as ctx:
        assert ctx.default_machine == "box"
        with ctx.machine() as machine:
            assert machine.name == "box"


def test_submit_wait_completed(ctx):
    with ctx.submit(command="echo hello from xrun", name="greet") as job:
        assert len(job.id) == 26
        assert job.scheduler_id != ""
        assert job.wait(timeout=WAIT_S) == xrun.State.COMPLETED
        assert job.state.is_terminal
        assert job.exit_code == 0
        assert job.read_file("stdout") == b"hello from xrun\n"
        info = job.info()
        assert info["id"] == job.id and info["name"] == "greet" and info["machine"] == "local"
        assert info["state"] == "completed"


def test_submit_batch(ctx):
    outcomes = ctx.submit_batch([{"command": "echo one"}, {"command": "echo two"}])
    assert [o.get("error") for o in outcomes] == [None, None]
    for outcome, text in zip(outcomes, [b"one\n", b"two\n"]):
        with ctx.job(outcome["id"]) as job:
            assert job.wait(timeout=WAIT_S) == xrun.State.COMPLETED
            assert job.read_file("stdout") == text
    with pytest.raises(xrun.InvalidError):
        ctx.submit_batch([{"command": "true"}, {"comand": "x"}])


def test_failed_job_is_not_a_failed_call(ctx):
    with ctx.submit_command("exit 3", name="fails") as job:
        assert job.wait(timeout=WAIT_S) == xrun.State.FAILED
        assert job.exit_code == 3


def test_poll_until_terminal(ctx):
    with ctx.submit(argv=["sh", "-c", "sleep 0.3; echo done"]) as job:
        deadline = time.monotonic() + WAIT_S
        while not job.refresh().state.is_terminal:
            assert time.monotonic() < deadline, "job did not finish"
            ctx.poll()
            time.sleep(0.05)
        assert job.state == xrun.State.COMPLETED


def test_wait_timeout_then_cancel(ctx):
    with ctx.submit_command("sleep 60", name="sleeper") as job:
        with pytest.raises(xrun.TimeoutError) as info:
            job.wait(timeout=0.2)
        assert isinstance(info.value, TimeoutError)  # the built-in one too
        assert job.refresh().state in (xrun.State.SUBMITTED, xrun.State.RUNNING)
        assert job.exit_code is None
        assert job.cancel() == xrun.State.CANCELLED
        with pytest.raises(xrun.StateError):
            job.cancel()
        with ctx.job(job.id) as again:
            assert again.state == xrun.State.CANCELLED


def test_list_jobs(ctx):
    done = ctx.submit_command("true", name="a")
    done.wait(WAIT_S)
    failed = ctx.submit_command("false", name="b")
    failed.wait(WAIT_S)
    listed = ctx.jobs()
    assert [j["id"] for j in listed] == [failed.id, done.id]  # newest first
    assert [j["id"] for j in ctx.jobs(state=xrun.State.COMPLETED)] == [done.id]
    assert [j["id"] for j in ctx.jobs(limit=1)] == [failed.id]
    assert ctx.jobs(machine="elsewhere") == []
    done.close()
    failed.close()


def test_events_follow_a_job(ctx):
    with ctx.submit_command("true") as job:
        job.wait(WAIT_S)
    events = ctx.events()
    assert events, "no events recorded"
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    states = [e.state for e in events if e.job_id == job.id]
    assert states[0] == xrun.State.CREATED and states[-1] == xrun.State.COMPLETED
    assert ctx.events(after_seq=seqs[-1]) == []
    assert ctx.events(after_seq=0, max=2) == events[:2]
    as_json = ctx.events_json()
    assert [e["seq"] for e in as_json] == seqs and as_json[-1]["state"] == "completed"
    # Every event of this job changed its state: none is reason-only.
    assert all(e.kind == "state" for e in events if e.job_id == job.id)
    assert [e["kind"] for e in as_json] == [e.kind for e in events]


def test_parse_corpus_file(si_scf, si_scf_energy_ev):
    with xrun.parse_file(si_scf, "qe") as result:
        assert result.code == "qe"
        assert result["total_energy_ev"] == pytest.approx(si_scf_energy_ev, abs=1e-4)
        assert result.diagnosis == "ok"
        assert result.get("no_such_number") is None
        with pytest.raises(KeyError):
            result["no_such_number"]
        assert result.to_dict()["total_energy_ev"] == pytest.approx(si_scf_energy_ev, abs=1e-4)
    with open(si_scf, "rb") as f:
        with xrun.parse_buffer(f.read(), "auto") as result:
            assert result.code == "qe"


def test_job_with_parser_has_result(ctx, si_scf, si_scf_energy_ev):
    with ctx.submit(command="cat '%s'" % si_scf, parser="qe") as job:
        assert job.result is None or job.state.is_terminal
        assert job.wait(WAIT_S) == xrun.State.COMPLETED
        assert job.result["total_energy_ev"] == pytest.approx(si_scf_energy_ev, abs=1e-4)


def test_error_mapping(ctx, tmp_path):
    with pytest.raises(xrun.NotFoundError):
        ctx.job("01ARZ3NDEKTSV4RRFFQ69G5FAV")
    with pytest.raises(xrun.InvalidError) as info:
        ctx.submit({"comand": "true"})
    assert "comand" in info.value.message
    with pytest.raises(xrun.IoError):
        xrun.parse_file(tmp_path / "missing.out", "qe")
    with pytest.raises(xrun.InvalidError):
        xrun.parse_buffer(b"x", "no-such-parser")
    with pytest.raises(xrun.ParseError):
        xrun.parse_buffer(b"nothing any parser knows\n", None)
    # The message is the library's, per thread, and names the code.
    try:
        ctx.job("01ARZ3NDEKTSV4RRFFQ69G5FAV")
    except xrun.Error as e:
        assert str(e).startswith("XRUN_E_NOT_FOUND: ")
        assert xrun.ffi.string(xrun.lib.xrun_last_error()).decode() == e.message


def test_handles_are_released_deterministically(ctx):
    job = ctx.submit_command("true")
    job.close()
    assert job.closed
    job.close()  # idempotent
    with pytest.raises(ValueError):
        job.state


def test_job_keeps_context_alive(home):
    ctx = xrun.Context()
    job = ctx.submit_command("echo alive")
    ctx.close()  # drops the caller's reference only
    del ctx
    gc.collect()
    assert job.wait(WAIT_S) == xrun.State.COMPLETED
    assert job.read_file("stdout") == b"alive\n"
    job.close()


def test_log_callback_receives_lines(home):
    lines = []
    with xrun.Context(log=lambda level, msg: lines.append((level, msg)), log_level=xrun.lib.XRUN_LOG_DEBUG) as ctx:
        with ctx.submit_command("true") as job:
            job.wait(WAIT_S)
    assert lines, "no log line at debug level"
    assert all(isinstance(m, str) and 0 <= lvl <= 3 for lvl, m in lines)


def test_threads_share_a_context(ctx):
    import threading

    ids, errors = [], []

    def worker():
        try:
            with ctx.submit_command("true") as job:
                job.wait(WAIT_S)
                ids.append((job.id, job.state))
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({i for i, _ in ids}) == 4 and all(s == xrun.State.COMPLETED for _, s in ids)


def test_machine_check_stats_and_recover(ctx):
    with ctx.machine("local") as machine:
        report = machine.check()
        assert report["machine"] == "local" and report["ok"] is True
        assert [s["step"] for s in report["steps"]][0] == "configuration"
        assert machine.stats()["sessions_open"] == 0  # local: no SSH
    assert ctx.recover()["adopted"] == 0


def _machines(home, workdir):
    (home / "machines.json").write_text(json.dumps(
        {"default": "box", "machines": {"box": {"execution": "local", "scheduler": "direct",
                                                "workdir": workdir, "min_poll_interval": 0}}}))


def test_failed_send_keeps_the_job_and_send_sends_it(home):
    _machines(home, "/proc/xrun-no-such-dir")  # cannot be made: the send fails
    with xrun.Context() as ctx:
        with pytest.raises(xrun.Error) as info:
            ctx.submit(command="echo sent by send")
        job = info.value.job
        assert job is not None and job.state == xrun.State.CREATED
        job_id = job.id
        job.close()
    _machines(home, str(home / "jobs"))
    with xrun.Context() as ctx:
        job = ctx.job(job_id)
        job.send()
        assert job.wait(WAIT_S) == xrun.State.COMPLETED
        assert job.read_file("stdout") == b"sent by send\n"
        with pytest.raises(xrun.StateError) as info:
            job.send()
        assert "completed" in info.value.message


def test_deferred_job_is_sent_by_a_poll_round(ctx):
    job = ctx.submit(command="echo deferred", defer=True)
    assert job.state == xrun.State.WAITING
    assert job.info()["waiting_for"] == "deferred"
    ctx.poll()
    assert job.wait(WAIT_S) == xrun.State.COMPLETED
    assert job.read_file("stdout") == b"deferred\n"


def test_parse_arrays_and_species(si_scf):
    relax = os.path.join(os.path.dirname(si_scf), "si_relax.out")
    with xrun.parse_file(relax) as result:
        pos = result.array("final_positions_angstrom")
        forces = result.array("final_forces_ev_per_angstrom")
        cell = result.array("final_cell_angstrom")
        energies = result.array("ionic_energies_ev")
        assert result.species == ["Si", "Si"]
        assert len(energies) == int(result["n_ionic_steps"])
        assert energies[-1] == pytest.approx(result["total_energy_ev"], abs=1e-9)
        # "Si 0.0100019211 ..." (alat) in the final coordinates, alat 10.2 bohr
        assert pos[0][0] == pytest.approx(0.0100019211 * 10.2 * 0.529177210903, abs=1e-9)
        assert forces[0][0] == pytest.approx(-forces[1][0], abs=1e-6)
        assert cell[0][0] == pytest.approx(-10.2 * 0.529177210903 / 2, abs=1e-5)
        if numpy is not None:
            assert isinstance(pos, numpy.ndarray) and pos.shape == (2, 3)
            assert cell.shape == (3, 3) and energies.shape == (len(energies),)
        else:
            assert len(pos) == 2 and len(pos[0]) == 3
        with pytest.raises(KeyError):
            result.array("final_stress_kbar")  # not printed by this relax
        with pytest.raises(KeyError):
            result.array("no_such_array")


def test_parse_arrays_without_numpy(si_scf, monkeypatch):
    # An interpreter without numpy gets plain lists of the same values.
    import xrun._results as results
    monkeypatch.setattr(results, "_np", None)
    relax = os.path.join(os.path.dirname(si_scf), "si_relax.out")
    with xrun.parse_file(relax) as result:
        pos = result.array("final_positions_angstrom")
        energies = result.array("ionic_energies_ev")
        assert isinstance(pos, list) and len(pos) == 2 and len(pos[1]) == 3
        assert pos[0][0] == pytest.approx(0.0100019211 * 10.2 * 0.529177210903, abs=1e-9)
        assert isinstance(energies, list) and energies[-1] == pytest.approx(result["total_energy_ev"], abs=1e-9)
