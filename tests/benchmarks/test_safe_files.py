"""benchmarks.safe_files: reads that cannot hang or exhaust memory, writes that never follow a planted link."""

import os

import pytest

from benchmarks import safe_files
from benchmarks.errors import NashError


def test_reads_refuse_fifos_devices_folders_and_oversized_files(tmp_path):
    os.mkfifo(tmp_path / "fifo")  # opened without O_NONBLOCK this call would block forever
    cases = {tmp_path / "fifo": "FIFO .named pipe.", tmp_path: "folder", "/dev/zero": "character device"}
    for path, kind in cases.items():
        with pytest.raises(NashError, match=f"is a {kind}, not a regular file"):
            safe_files.read_bytes(path, 100, "run.json")
    (tmp_path / "big").write_bytes(b"x" * 101)
    with pytest.raises(NashError, match="101 bytes, over the 100 bytes limit for a run.json"):
        safe_files.read_bytes(tmp_path / "big", 100, "run.json")
    assert safe_files.read_bytes(tmp_path / "big", 101) == b"x" * 101


def test_json_depth_is_checked_before_parsing_and_brackets_in_strings_do_not_count(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(NashError, match="nested 10000 deep, over the limit of 64"):
        safe_files.read_json_file(tmp_path / "deep.json", safe_files.MIB, "run.json")
    (tmp_path / "ok.json").write_text('{"a": ["[[[[\\"{{{{", {"b": 1}]}')
    assert safe_files.read_json_file(tmp_path / "ok.json", 1000) == {"a": ['[[[["{{{{', {"b": 1}]}
    assert safe_files.check_json_depth(b'{"a": ["[[[["]}') == 2


def test_writes_never_follow_a_planted_link(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "log").symlink_to(victim)
    (folder / "linked").symlink_to(tmp_path)
    for write in (lambda: safe_files.write_new(folder / "log", b"x"), lambda: safe_files.open_append(folder / "log"),
                  lambda: safe_files.real_folder(folder / "linked")):  # fmt: skip
        with pytest.raises(NashError, match="is a symbolic link; nash does not write through links"):
            write()
    safe_files.remove_file(folder / "log")  # removes the link, not its target
    assert victim.read_text() == "precious" and not (folder / "log").is_symlink()
    with safe_files.open_append(folder / "log") as handle:
        handle.write(b"line\n")
    assert (folder / "log").read_bytes() == b"line\n"
