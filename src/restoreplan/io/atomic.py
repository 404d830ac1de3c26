"""Atomic file writes: write to a temporary name beside the target, then rename.

A failed or interrupted run therefore never leaves a half-written output under its final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["atomic_path", "atomic_dir"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path in the target's folder; rename it to ``path`` on success.

    On an exception the temporary file (and any GDAL side-car such as ``.aux.xml``) is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for p in (tmp, Path(str(tmp) + ".aux.xml")):
            if p.exists():
                p.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike):
    """Yield a temporary folder that replaces ``path`` (a folder) only when the block succeeds.

    Used by the runner: every output of a run is written under the temporary folder, and the
    folder is moved into place at the end, so a failing step leaves no output behind. Existing
    files in ``path`` that the run does not rewrite are kept.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        path.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            dest = path / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(item, dest)
        tmp.rmdir()
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
