"""Writing files so that a reader never sees half of one: write a temporary sibling, then rename.

`os.replace` is atomic on POSIX and Windows when both paths are on one file
system, which a sibling in the same folder always is. An interrupted write
leaves at most a temporary file whose name contains `TEMP_MARKER` (cleaned up
by whoever owns the folder), never a truncated `path`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_MARKER = ".tmp-"


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on error it is removed."""
    path = Path(path)
    temp = path.with_name(f".{path.name}{TEMP_MARKER}{uuid.uuid4().hex[:12]}")  # unique across processes and threads
    try:
        yield temp
        os.replace(temp, path)
    finally:
        if temp.is_dir():
            shutil.rmtree(temp, ignore_errors=True)
        else:
            temp.unlink(missing_ok=True)
