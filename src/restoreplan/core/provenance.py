"""Run provenance: ``manifest.json`` with inputs (and checksums), parameters, seed, versions, timings."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

__all__ = ["Manifest", "sha256_file", "package_versions"]

_PACKAGES = ("restoreplan", "numpy", "pandas", "xarray", "rioxarray", "rasterio", "dask", "distributed",
             "numba", "scipy", "scikit-learn", "highspy", "geopandas", "pyogrio", "pydantic", "matplotlib")


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def package_versions() -> dict[str, str | None]:
    """Installed versions of restoreplan and its main dependencies."""
    out = {}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


class Manifest:
    """Collects what a run used and did; ``write(folder)`` saves ``manifest.json`` atomically."""

    def __init__(self, *, command: str, seed: int | None = None, config: dict | None = None):
        self.data: dict = {
            "restoreplan_manifest": 1,
            "command": command,
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seed": seed,
            "config": config or {},
            "config_sha256": hashlib.sha256(json.dumps(config or {}, sort_keys=True, default=str).encode()).hexdigest(),
            "inputs": {},
            "steps": [],
            "outputs": {},
            "versions": package_versions(),
            "platform": {"python": platform.python_version(), "system": platform.system(), "machine": platform.machine()},
        }

    def add_input(self, name: str, path: str | Path) -> None:
        """Record an input file with its size and SHA-256."""
        p = Path(path)
        self.data["inputs"][name] = {"path": str(p), "bytes": p.stat().st_size, "sha256": sha256_file(p)}

    @contextmanager
    def step(self, step_id: str, method: str, params: dict):
        """Time a step (wall seconds) and record it, also when it fails."""
        rec = {"id": step_id, "method": method, "params": params, "status": "running"}
        self.data["steps"].append(rec)
        t0 = time.perf_counter()
        try:
            yield rec
            rec["status"] = "ok"
        except BaseException:
            rec["status"] = "failed"
            raise
        finally:
            rec["seconds"] = round(time.perf_counter() - t0, 4)

    def add_output(self, name: str, path: str | Path, **info) -> None:
        """Record an output file."""
        self.data["outputs"][name] = {"path": str(path), **info}

    def write(self, folder: str | Path) -> Path:
        """Write ``manifest.json`` into ``folder`` atomically."""
        from ..io.atomic import atomic_path

        self.data["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        path = Path(folder) / "manifest.json"
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.data, indent=2, default=str), encoding="utf-8")
        return path
