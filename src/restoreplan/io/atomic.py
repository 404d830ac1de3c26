"""Atomic file writes: write to a temporary name beside the target, then rename.

A failed or interrupted run therefore never leaves a half-written output under its final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["atomic_path", "atomic_dir", "check_out_dir"]


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


def check_out_dir(path: str | os.PathLike, *, overwrite: bool = False, name: str = "--out") -> Path:
    """Check, before any work is done, that ``path`` can become the output folder; return it.

    ``--out`` semantics: the folder must not exist yet, or be empty; with ``overwrite=True`` an
    existing folder is replaced as a whole when the run succeeds (never merged, so no stale file of
    an earlier run survives). The parent must be a writable folder. Raises :class:`InputError`.
    """
    from ..core.errors import InputError, message

    path = Path(path)
    absp = path.absolute()
    # the nearest existing ancestor must be a folder we can write into
    anc = absp.parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise InputError(message(name, "a folder path", f"{path} lies below the file {anc}",
                                 "choose an output folder that is not inside a file"))
    if path.exists() and not path.is_dir():
        raise InputError(message(name, "a folder (new, or empty)", f"{path} is an existing file",
                                 "choose another output folder, or remove that file"))
    if not _can_write(anc) or (path.is_dir() and not _can_write(path)):
        where = path if path.is_dir() else anc
        raise InputError(message(name, "a writable output folder", f"no write permission in {where}",
                                 "choose a folder you can write to, or change its permissions"))
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            n = sum(1 for _ in path.iterdir())
            raise InputError(message(name, "a new or empty output folder", f"{path} already holds {n} item(s)",
                                     "choose a new folder, or pass --overwrite to replace it whole"))
        protected = {Path.cwd().resolve(), Path.home().resolve(), Path(absp.anchor)}
        rp = path.resolve()
        if rp in protected or Path.cwd().resolve().is_relative_to(rp):
            raise InputError(message(name, "a dedicated output folder for --overwrite", f"{path} (the current, home "
                                     "or root folder, or one that contains it)",
                                     "choose a dedicated output folder, e.g. --out results/run1"))
    return path


def _can_write(folder: Path) -> bool:
    """True if a folder can be created (and removed) in ``folder`` (a real probe: works as root too)."""
    import tempfile

    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        probe = tempfile.mkdtemp(prefix=".restoreplan-probe-", dir=folder)
    except OSError:
        return False
    with contextlib.suppress(OSError):
        os.rmdir(probe)
    return True


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, *, overwrite: bool = False, merge: bool = False):
    """Yield a temporary sibling folder that becomes ``path`` only when the block succeeds.

    Everything is built in ``.NAME.tmp-XXXX`` beside ``path`` and moved in by renaming the folder
    (one rename; with ``overwrite`` the old folder is renamed aside first and removed after), so a
    failing or interrupted run leaves ``path`` as it was. ``path`` must be new or empty, unless
    ``overwrite`` (replace it whole) or ``merge`` (legacy: keep the files the run does not rewrite;
    used by ``restoreplan demo``, whose inputs live inside the output folder).
    """
    path = Path(path)
    if not merge:
        check_out_dir(path, overwrite=overwrite)
    created = [a for a in [path.parent, *path.parent.parents] if not a.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    ok = False
    try:
        yield tmp
        if merge:
            path.mkdir(exist_ok=True)
            for item in tmp.iterdir():
                dest = path / item.name
                if dest.is_dir() and not dest.is_symlink():
                    shutil.rmtree(dest)
                os.replace(item, dest)
            tmp.rmdir()
        elif path.is_dir() and any(path.iterdir()):
            old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            if path.is_dir():
                path.rmdir()
            os.rename(tmp, path)
        ok = True
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if not ok:  # leave no folder behind that this call created
            for a in created:
                with contextlib.suppress(OSError):
                    a.rmdir()
