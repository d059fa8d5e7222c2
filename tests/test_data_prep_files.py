"""data_prep.files.atomic_path: a reader sees the old file or the whole new one, whoever writes at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_prep.files import TEMP_MARKER, atomic_path


def test_the_file_appears_whole_on_success_and_the_old_one_stays_on_error(tmp_path: Path) -> None:
    target = tmp_path / "pair.jpg"
    with atomic_path(target) as temp:
        temp.write_bytes(b"new")
        assert not target.exists() and TEMP_MARKER in temp.name and temp.parent == tmp_path
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError), atomic_path(target) as temp:
        temp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"new" and list(tmp_path.iterdir()) == [target]


def test_two_writers_of_one_path_get_their_own_temporary_files(tmp_path: Path) -> None:
    """Two threads of one process (the app's) writing the same file must not write into each other's."""
    target = tmp_path / "face.png"
    with atomic_path(target) as first, atomic_path(target) as second:
        assert first != second
        first.write_bytes(b"first")
        second.write_bytes(b"second")
    assert target.read_bytes() == b"first" and list(tmp_path.iterdir()) == [target]
