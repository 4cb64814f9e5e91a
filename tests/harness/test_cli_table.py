"""`nash table build` end to end, and its refusals: one line, exit 2, no output file left behind."""

from __future__ import annotations

import bz2
import os
import pickle
import shutil
from pathlib import Path

import pytest

from harness.cli.main import main
from tests.shared_data import SHARED_DATA

SAMPLES = SHARED_DATA / "nats-official-samples"
TSS = SAMPLES / "NATS-tss-v1_0-3ffb9-simple"
SSS = SAMPLES / "NATS-sss-v1_0-50262-simple"
needs_samples = pytest.mark.skipif(not TSS.is_dir() or not SSS.is_dir(), reason="NATS samples absent")


def _fails(args: list[str], capsys, out: Path, *needles: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nash: error:") and "\n" not in err
    for needle in needles:
        assert needle in err, err
    assert not list(out.parent.glob(out.name + "*")), "partial output left behind"
    return err


@needs_samples
def test_build_then_query_sss_through_oracle_flag_and_env(tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "sss.npz"
    assert main(["table", "build", "--from", str(SSS), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "sss space, 32768 architectures, 3 with results" in printed and "checksum" in printed
    assert main(["query", "8:8:8:16:32", "--dataset", "cifar100", "--oracle", str(out), "--json"]) == 0
    by_flag = capsys.readouterr().out
    assert '"index": 11' in by_flag and '"epochs": 90' in by_flag and '"split": "test"' in by_flag
    monkeypatch.setenv("NASH_ORACLE", str(out))
    assert main(["query", "11", "--dataset", "cifar100", "--json"]) == 0
    assert capsys.readouterr().out == by_flag
    assert main(["query", "11", "--dataset", "cifar10", "--metric", "params", "--epochs", "1"]) == 0
    assert "(cifar10 model, 1 epochs, seed mean, params M)" in capsys.readouterr().out


@needs_samples
def test_search_refuses_a_size_space_oracle(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sss.npz"
    assert main(["table", "build", "--from", str(SSS), "--out", str(out), "--no-progress"]) == 0
    args = ["search", "--benchmark", "nb201-cifar10", "--searcher", "darts", "--epochs", "1", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "runs"), "--oracle", str(out)]) == 2
    assert "is a sss table; pass a tss table" in capsys.readouterr().err


def test_missing_or_unknown_sources(tmp_path: Path, capsys) -> None:
    out = tmp_path / "t.npz"
    _fails(["table", "build", "--from", str(tmp_path / "nope"), "--out", str(out)], capsys, out, "nope not found")
    (tmp_path / "empty").mkdir()
    _fails(["table", "build", "--from", str(tmp_path / "empty"), "--out", str(out)], capsys, out, "no meta.pickle.pbz2")
    (tmp_path / "x.csv").write_text("a,b\n")
    _fails(["table", "build", "--from", str(tmp_path / "x.csv"), "--out", str(out)], capsys, out, "cannot tell")


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_asking_for_a_function_is_refused(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "ran"
    archive = tmp_path / "NATS-tss-v1_0-evil.pickle.pbz2"
    archive.write_bytes(bz2.compress(pickle.dumps({"meta_archs": [_RunsACommand(marker)], "arch2infos": {}})))
    out = tmp_path / "t.npz"
    _fails(["table", "build", "--from", str(archive), "--out", str(out)], capsys, out, archive.name, "system")
    assert not marker.exists()


@needs_samples
@pytest.mark.parametrize(
    ("damage", "needles"),
    [
        ("truncate_meta", ["meta.pickle.pbz2 is truncated"]),
        ("garbage_arch", ["000011.pickle.pbz2 is truncated or not a bz2 file"]),
        ("arch_as_meta", ["meta.pickle.pbz2 is not a NATS-Bench meta file"]),
        ("arch_renamed", ["000000.pickle.pbz2", "index 0 is"]),
        ("tss_meta_in_sss", ["named as a sss file but lists tss architectures"]),
    ],
)
def test_damaged_simple_directories(tmp_path: Path, capsys, damage: str, needles: list[str]) -> None:
    src = SSS if damage == "tss_meta_in_sss" else TSS
    folder = tmp_path / src.name
    shutil.copytree(src, folder)
    for file in folder.iterdir():
        file.chmod(0o644)
    meta, arch = folder / "meta.pickle.pbz2", folder / "000011.pickle.pbz2"
    if damage == "truncate_meta":
        meta.write_bytes(meta.read_bytes()[:5000])
    elif damage == "garbage_arch":
        arch.write_bytes(os.urandom(3000))
    elif damage == "arch_as_meta":
        shutil.copy(arch, meta)
    elif damage == "arch_renamed":
        shutil.copy(arch, folder / "000000.pickle.pbz2")
    else:
        shutil.copy(TSS / "meta.pickle.pbz2", meta)
    out = tmp_path / "t.npz"
    _fails(["table", "build", "--from", str(folder), "--out", str(out), "--no-progress"], capsys, out, *needles)


@needs_samples
def test_an_existing_table_survives_a_failed_build(tmp_path: Path, capsys) -> None:
    out = tmp_path / "keep.npz"
    assert main(["table", "build", "--from", str(TSS), "--out", str(out), "--no-progress"]) == 0
    before = out.read_bytes()
    assert main(["table", "build", "--from", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert out.read_bytes() == before and not (tmp_path / "keep.npz.tmp").exists()
