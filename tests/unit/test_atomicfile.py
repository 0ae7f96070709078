"""Atomic writes: the old file survives a failed write, no temporary file is left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgui.atomicfile import atomic_path, write_text_atomic


def test_write_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "log.txt"
    target.write_text("old")
    write_text_atomic(target, "new ünïcode\r\n", encoding="utf-8")
    assert target.read_bytes() == "new ünïcode\r\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "q.xml"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.xml"]


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_text_atomic(tmp_path / "missing" / "x.txt", "x")


def test_new_file_gets_the_usual_mode_and_old_mode_is_kept(tmp_path: Path) -> None:
    import stat

    import ccrgui.atomicfile

    fresh = tmp_path / "fresh.csv"
    write_text_atomic(fresh, "a")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~ccrgui.atomicfile._UMASK
    assert stat.S_IMODE(fresh.stat().st_mode) != 0o600 or ccrgui.atomicfile._UMASK == 0o066
    private = tmp_path / "private.txt"
    private.write_text("x")
    private.chmod(0o600)
    write_text_atomic(private, "y")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
