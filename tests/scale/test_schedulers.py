"""Every registered raster method gives the same results from numpy in one process, from dask threads
and from a dask.distributed LocalCluster with 2 worker processes (the demo study: one step per
registered method's example, on a small demo region)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from restoreplan.datasets import demo_region
from restoreplan.pipeline import registry
from restoreplan.pipeline.config import study_from_dict
from restoreplan.pipeline.demo import _copy_marxan_example, demo_study_dict
from restoreplan.pipeline.runner import run_study

SIZE, CHUNK, SEED = 120, 48, 0
_CLOCK_COLUMNS = {"seconds", "runtime", "runtime_s", "wall_s", "time_s"}


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster (2 worker processes, 1 thread each) shared by the tests of this module."""
    from distributed import LocalCluster

    c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield c
    c.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo_inputs")
    written = demo_region(size=SIZE, seed=SEED).write(d)
    written["tables"] = _copy_marxan_example(d)  # as run_demo does
    return demo_study_dict(written, seed=SEED), d


def _run(demo, out, **kw):
    raw, d = demo
    study = study_from_dict(raw, base_dir=d.resolve(), source="demo study")
    return run_study(study, out, seed=SEED, report=False, **kw)


def _read(path):
    import rasterio

    with rasterio.open(path) as r:
        return r.read(), r.nodata, r.dtypes[0]


def _same_table(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    """Equal tables; floats to rtol 1e-5 (entropy weights w ∝ 1 − e with e ≈ 1 amplify the ~1e-12
    differences of summation order between numpy and per-chunk sums to ~1e-6)."""
    assert list(a.columns) == list(b.columns), name
    assert a.shape == b.shape, name
    for c in a.columns:
        if c in _CLOCK_COLUMNS:
            continue  # wall-clock seconds differ by design
        if pd.api.types.is_numeric_dtype(a[c]) and pd.api.types.is_numeric_dtype(b[c]):
            np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-5, atol=1e-9,
                                       equal_nan=True, err_msg=f"{name}: {c}")
        else:
            assert a[c].astype(str).tolist() == b[c].astype(str).tolist(), f"{name}: {c}"


def _compare(ref, other, label):
    ref_files = sorted(p.name for p in ref.iterdir() if p.suffix in (".tif", ".csv"))
    assert ref_files == sorted(p.name for p in other.iterdir() if p.suffix in (".tif", ".csv")), label
    n = 0
    for name in ref_files:
        if "timings" in name:
            continue  # seconds per step differ by design
        if name.endswith(".tif"):
            a, na, ta = _read(ref / name)
            b, nb, tb = _read(other / name)
            assert ta == tb and (na == nb or (np.isnan(na) and np.isnan(nb))), f"{label}: {name}"
            if np.issubdtype(a.dtype, np.floating):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=f"{label}: {name}")
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"{label}: {name}")
        else:
            _same_table(pd.read_csv(ref / name), pd.read_csv(other / name), f"{label}: {name}")
        n += 1
    return n


def test_demo_covers_every_registered_raster_method(demo):
    raw, _ = demo
    in_study = {s["method"] for s in raw["steps"]}
    raster_methods = {m.name for m in registry.all_methods()
                      if any(i.kind in ("categorical", "continuous", "raster", "series") for i in m.inputs)}
    assert raster_methods <= in_study, sorted(raster_methods - in_study)


@pytest.mark.slow
def test_numpy_dask_threads_and_distributed_agree(demo, cluster, tmp_path):
    eager = _run(demo, tmp_path / "numpy")
    threads = _run(demo, tmp_path / "threads", chunks=CHUNK)
    dist = _run(demo, tmp_path / "distributed", chunks=CHUNK, scheduler=cluster.scheduler_address)
    from restoreplan.core.chunked import _leaves

    assert _leaves(threads.results, [])  # the chunked runs really ran on dask
    n1 = _compare(eager.out_dir, threads.out_dir, "dask threads")
    n2 = _compare(eager.out_dir, dist.out_dir, "dask.distributed")
    assert n1 == n2 and n1 > 50
