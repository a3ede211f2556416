"""Result caching and machine groups through the Python binding: the second
of two identical "cache": true jobs is completed on return, with
cached_from and the first one's parsed result; a group's job goes to the
least busy machine, the choice in its info."""
import json

import xrun

WAIT_S = 60


def test_identical_job_is_served_from_the_cache(ctx, tmp_path, si_scf, si_scf_energy_ev):
    upload = tmp_path / "si_scf.out"
    upload.write_bytes(open(si_scf, "rb").read())
    spec = {"argv": ["cat", "si_scf.out"], "upload": [str(upload)], "parser": "qe", "cache": True}
    with ctx.submit(spec, name="first") as first:
        assert first.wait(timeout=WAIT_S) == xrun.State.COMPLETED
        assert first.info()["cached_from"] == ""
        # Built field by field too: the "cache" flag of xrun.Spec.
        with xrun.Spec(name="second", cache=True, **{k: v for k, v in spec.items() if k != "cache"}) as built:
            with ctx.submit(built) as second:
                assert second.state == xrun.State.COMPLETED  # on return: nothing ran
                assert second.scheduler_id == ""
                info = second.info()
                assert info["cached_from"] == first.id
                assert info["content_hash"] == first.info()["content_hash"] != ""
                assert info["reason"] == "cached from " + first.id
                assert second.exit_code == 0
                energy = second.result["total_energy_ev"]
                assert second.result == first.result
                assert abs(energy - si_scf_energy_ev) < 1e-6 * abs(si_scf_energy_ev)
        # Another upload content: runs.
        upload.write_bytes(upload.read_bytes() + b"\n")
        with ctx.submit(spec) as third:
            assert third.scheduler_id != ""
            assert third.wait(timeout=WAIT_S) == xrun.State.COMPLETED
            assert third.info()["cached_from"] == ""


def test_group_goes_to_the_least_busy_machine(home):
    (home / "machines.json").write_text(json.dumps({
        "default": "local",
        "machines": {"local2": {"execution": "local", "scheduler": "direct", "workdir": str(home / "jobs2")}},
        "groups": {"pair": ["local", "local2"]}}))
    with xrun.Context() as ctx:
        with ctx.submit(command="sleep 60", machine="local") as busy:
            with ctx.submit(command="true", machine="pair") as job:
                choice = job.info()["machine_choice"]
                assert job.info()["machine"] == "local2"
                assert choice == {"machine": "local2", "group": "pair", "strategy": "least_busy",
                                  "candidates": ["local", "local2"],
                                  "why": "least_busy: local2 had 0 active jobs, local had 1"}
            busy.cancel()
