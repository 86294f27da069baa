"""The conftest's source-tree check notices new, changed and removed files (and ignores tool caches)."""

from __future__ import annotations

from pathlib import Path

from tree_guard import source_tree_changes, source_tree_files


def test_source_tree_check_sees_writes_and_ignores_caches(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x")
    (tmp_path / "gone.txt").write_text("x")
    before = source_tree_files(tmp_path)
    (tmp_path / "runs" / "sweep-steady").mkdir(parents=True)
    (tmp_path / "runs" / "sweep-steady" / "rows.jsonl").write_text("")
    (tmp_path / "a.py").write_text("xy")
    (tmp_path / "gone.txt").unlink()
    (tmp_path / ".hypothesis").mkdir()
    (tmp_path / ".hypothesis" / "db").write_text("cache")
    assert source_tree_changes(before, source_tree_files(tmp_path)) == [
        "~ a.py", "- gone.txt", "+ runs/sweep-steady/rows.jsonl"]
