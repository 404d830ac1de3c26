"""Bad-input matrix through the CLI: builders for small studies, damaged files, and the assertions.

Every case asserts: the exit code, no traceback, a four-part message (the input, what was expected,
what was found, the fix), and that no file appeared anywhere under the test's folder (snapshot).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli

SIZE = 40


@pytest.fixture(scope="session")
def region_files(tmp_path_factory) -> Path:
    """The demo region (40 x 40 cells) written once; tests copy it."""
    from restoreplan.datasets import demo_region

    d = tmp_path_factory.mktemp("region")
    demo_region(size=SIZE).write(d)
    return d


@pytest.fixture()
def ws(tmp_path, region_files) -> Path:
    """A fresh working folder holding a copy of the demo-region inputs."""
    d = tmp_path / "ws"
    shutil.copytree(region_files, d)
    return d


def snapshot(root: Path) -> dict:
    """{relative path: (size, mtime_ns)} of everything below ``root`` (folders included)."""
    out = {}
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            p = Path(dp) / n
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size if p.is_file() else -1, st.st_mtime_ns)
    return out


_ADDED = False


def invoke(args, root: Path | None = None):
    global _ADDED
    if not _ADDED:
        _add_plugins()
        _ADDED = True
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)


def study_text(*, study: str = "", layers: str | None = None, steps: str | None = None, extra: str = "") -> str:
    """A study TOML on the demo-region files; pieces can be replaced."""
    if layers is None:
        layers = LAYERS
    if steps is None:
        steps = CARBON_STEP
    return f'[study]\nname = "bad"\ntemplate = "lulc"\n{study}\n{layers}\n{extra}\n{steps}\n'


LAYERS = '''
[layers.lulc]
kind = "categorical"
paths = { 2010 = "lulc_2010.tif", 2020 = "lulc_2020.tif" }

[layers.precipitation]
kind = "continuous"
path = "precipitation.tif"

[layers.et0]
kind = "continuous"
path = "et0.tif"

[layers.soil_depth]
kind = "continuous"
path = "soil_depth.tif"

[layers.pawc]
kind = "continuous"
path = "pawc.tif"
'''

CARBON_STEP = '''
[[steps]]
id = "carbon"
method = "carbon"
inputs = { lulc = "lulc@2020", pools = "package:carbon_pools_6class" }
'''

WATER_STEP = '''
[[steps]]
id = "water"
method = "water_yield"
inputs = { lulc = "lulc@2020", precipitation = "precipitation", et0 = "et0", root_restricting_depth = "soil_depth", pawc = "pawc", biophysical = "package:awy_biophysical_6class" }
'''


def write_study(ws: Path, text: str, name: str = "study.toml") -> Path:
    p = ws / name
    p.write_text(text, encoding="utf-8")
    return p


def assert_clean_error(r, *, names=(), code=None, words=()):
    """Non-zero exit, no traceback, a four-part message naming ``names``."""
    out = r.output
    assert r.exit_code != 0, out
    if code is not None:
        assert r.exit_code == code, out
    assert "Traceback" not in out, out
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert_words(out, names=names, words=words)
    if "Usage:" not in out:  # click's own usage errors name the option and the allowed range instead
        assert "expected" in out and "got" in out and "Fix:" in out, out


def assert_words(out, *, names=(), words=()):
    for n in (*names, *words):
        assert n.lower() in out.lower(), f"{n!r} not in:\n{out}"
    for leak in ("np.float", "np.int", "extra inputs are not permitted", "input should be", "Field required",
                 "pydantic", "warnings.warn("):
        assert leak not in out, f"{leak!r} in:\n{out}"


def assert_unchanged(root: Path, before: dict):
    after = snapshot(root)
    new = sorted(set(after) - set(before))
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in before if k in after and before[k] != after[k] and not Path(root / k).is_dir())
    assert not new and not gone and not changed, f"new {new[:8]}, gone {gone[:8]}, changed {changed[:8]}"


def write_tif(path: Path, arr: np.ndarray, *, nodata=None, crs="EPSG:32649", x0=500000.0, y0=3400000.0, res=30.0):
    import rasterio
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "width": arr.shape[1], "height": arr.shape[0], "count": 1, "dtype": arr.dtype,
               "crs": crs, "transform": from_origin(x0, y0, res, res), "nodata": nodata}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
    return path


def like(ws: Path, name: str):
    """(array, profile) of a demo-region file."""
    import rasterio

    with rasterio.open(ws / name) as src:
        return src.read(1), src.profile.copy()


def rewrite(ws: Path, name: str, arr=None, **changes):
    """Rewrite a demo-region raster with new values and/or profile entries (nodata, crs, transform, dtype)."""
    import rasterio

    a, prof = like(ws, name)
    a = a if arr is None else arr
    prof.update(driver="GTiff", **changes)
    prof["dtype"] = str(a.dtype)
    for k in ("blockxsize", "blockysize", "tiled", "interleave", "compress", "layout"):
        prof.pop(k, None)
    (ws / name).unlink()
    with rasterio.open(ws / name, "w", **prof) as dst:
        dst.write(a, 1)
    return ws / name
