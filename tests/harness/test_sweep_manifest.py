"""The sweep manifest: claims, retries, stale claims, settings changes, and `nash status` (no searches run)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import pytest

from benchmarks.errors import NashError
from harness.cli.main import main
from harness.cli.sweep import format_status
from harness.sweep.manifest import Manifest
from harness.sweep.plan import SweepRequest, plan_sweep
from harness.sweep.progress import estimate_left


@pytest.fixture
def cells():
    return plan_sweep(SweepRequest(["gdas"], ["nb201-cifar10"], [0, 1, 2], epochs=1))


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def other_process(manifest: Manifest, pid: int) -> Manifest:
    twin = Manifest(manifest.out)
    twin.pid = pid
    return twin


def test_a_claimed_cell_is_never_claimed_again_by_another_process(tmp_path, cells):
    ids = [cell.cell_id for cell in cells]
    mine = Manifest(tmp_path)
    mine.register(cells)
    theirs = other_process(mine, os.getppid())  # a live process that is not this one
    since = time.time()
    claimed = [mine.claim_next(ids, since), theirs.claim_next(ids, since), mine.claim_next(ids, since)]
    assert sorted(claimed) == sorted(ids) and theirs.claim_next(ids, since) is None
    data = mine.read()["cells"]
    assert data[claimed[1]]["pid"] == os.getppid() and data[claimed[0]]["pid"] == os.getpid()


def test_failed_cells_are_retried_by_a_later_sweep_only(tmp_path, cells):
    ids = [cells[0].cell_id]
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    assert manifest.claim_next(ids, time.time()) == ids[0]
    manifest.finish(ids[0], ok=False, seconds=1.0, error="boom")
    assert manifest.claim_next(ids, since=0.0) is None  # this sweep saw it fail: no retry loop
    assert manifest.claim_next(ids, since=time.time()) == ids[0]  # a later sweep retries it
    cell = manifest.read()["cells"][ids[0]]
    assert cell["state"] == "running" and "error" not in cell and len(cell["history"]) == 2
    manifest.finish(ids[0], ok=True, seconds=2.0)
    assert manifest.claim_next(ids, since=time.time()) is None  # done is never run again


def test_a_stale_claim_is_reclaimed_a_live_or_foreign_one_is_not(tmp_path, cells):
    ids = [cell.cell_id for cell in cells]
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    since = time.time()
    assert other_process(manifest, os.getppid()).claim_next(ids, since) == ids[0]
    foreign = other_process(manifest, dead_pid())
    foreign.host = "another-host"  # cannot tell whether its process lives there: left alone
    assert foreign.claim_next(ids, since) == ids[1]
    assert other_process(manifest, dead_pid()).claim_next(ids, since) == ids[2]
    status = format_status(manifest.read()).splitlines()
    assert status[3].split()[:2] == [ids[2], "interrupted"] and "claim stale" in status[3]  # its process died
    assert status[2].split()[:2] == [ids[1], "running"]  # another host's claim: cannot tell, shown as it is
    assert status[-1].startswith("3 cells: 0 pending, 2 running, 0 done, 0 failed, 1 interrupted;")
    assert manifest.claim_next(ids, since) == ids[2]  # only the dead local claim
    assert manifest.claim_next(ids, since) is None
    cell = manifest.read()["cells"][ids[2]]
    assert cell["pid"] == os.getpid() and len(cell["history"]) == 2
    assert manifest.claim_next(ids, since, reclaim=True) == ids[1]  # --reclaim: the other host's claim too
    assert manifest.claim_next(ids, since, reclaim=True) is None  # never a live local one


def test_released_claims_go_back_to_pending(tmp_path, cells):
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    cell_id = manifest.claim_next([cells[0].cell_id], time.time())
    manifest.release([cell_id])
    cell = manifest.read()["cells"][cell_id]
    assert cell["state"] == "pending" and "interrupted" in cell["note"]


def test_the_same_cell_with_other_settings_is_refused(tmp_path, cells):
    Manifest(tmp_path).register(cells)
    changed = [dataclasses.replace(cells[0], fingerprint="0" * 16)]
    with pytest.raises(NashError, match="already in .* with other settings"):
        Manifest(tmp_path).register(changed)


def test_status_prints_the_table_and_totals(tmp_path, cells, capsys):
    manifest = Manifest(tmp_path)
    manifest.register(cells)
    ids = [cell.cell_id for cell in cells]
    manifest.claim_next(ids, time.time())
    manifest.finish(ids[0], ok=True, seconds=12.5)
    manifest.claim_next(ids, time.time())
    manifest.finish(ids[1], ok=False, seconds=0.5, error="cifar100 not found")
    assert manifest.claim_next(ids, since=0.0) == ids[2]  # the same sweep: no retry of ids[1]
    assert main(["status", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["cell", "state", "seconds"]
    assert lines[1].split() == [ids[0], "done", "12.5"]
    assert lines[2].split()[:3] == [ids[1], "failed", "0.5"] and lines[2].endswith("cifar100 not found")
    assert lines[3].split()[:2] == [ids[2], "running"] and f"pid {os.getpid()}" in lines[3]
    assert lines[4] == "3 cells: 0 pending, 1 running, 1 done, 1 failed; 12s in done cells"


def test_status_of_a_folder_without_a_sweep_is_one_line(tmp_path, capsys):
    assert main(["status", str(tmp_path)]) == 2
    assert "no sweep manifest" in capsys.readouterr().err


def test_time_left_is_mean_cell_time_times_cells_left_over_jobs():
    assert estimate_left([], 5, 1) is None
    assert estimate_left([10.0, 20.0], 4, 2) == 30.0


def test_local_cells_share_the_cores_instead_of_each_taking_all(tmp_path, monkeypatch):
    from harness.sweep.local import LocalExecutor

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert LocalExecutor(tmp_path, jobs=2, forward_output=False).env["OMP_NUM_THREADS"] == "4"
    assert LocalExecutor(tmp_path, jobs=16, forward_output=False).env["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's choice wins
    assert LocalExecutor(tmp_path, jobs=2, forward_output=False).env["OMP_NUM_THREADS"] == "3"
