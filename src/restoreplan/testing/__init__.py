"""Testing helpers: tiny rasters on a projected grid, and the numpy == dask contract check."""

from __future__ import annotations

import numpy as np
import xarray as xr
from affine import Affine

import restoreplan.core  # noqa: F401  (rio accessor)

__all__ = ["make_raster", "assert_numpy_dask_equal", "demand_revised_on_region"]


def make_raster(arr, *, res: float = 30.0, crs: str = "EPSG:32649", x0: float = 760000.0, y0: float = 3410000.0,
                nodata=None, name: str = "raster", chunks=None) -> xr.DataArray:
    """A (y, x) DataArray with a north-up transform of cell size ``res`` (for tests and examples).

    Float arrays get NaN as nodata; integer arrays get ``nodata`` (if given).
    """
    arr = np.asarray(arr)
    ny, nx = arr.shape[-2:]
    x = x0 + res * (np.arange(nx) + 0.5)
    y = y0 - res * (np.arange(ny) + 0.5)
    dims = ("y", "x") if arr.ndim == 2 else ("time", "y", "x")
    coords = {"y": y, "x": x}
    if arr.ndim == 3:
        coords["time"] = np.arange(arr.shape[0])
    da = xr.DataArray(arr, dims=dims, coords=coords, name=name)
    da = da.rio.write_crs(crs).rio.write_transform(Affine(res, 0, x0, 0, -res, y0))
    if np.issubdtype(arr.dtype, np.floating):
        da = da.rio.write_nodata(np.nan, encoded=False)
        da.attrs["kind"] = "continuous"
    else:
        if nodata is not None:
            da = da.rio.write_nodata(nodata, encoded=False)
        da.attrs["kind"] = "categorical"
    if chunks is not None:
        da = da.chunk({"y": chunks, "x": chunks})
    return da


def assert_numpy_dask_equal(func, *rasters, chunks: int = 3, rtol: float = 1e-6, atol: float = 0.0, **kwargs):
    """Check ``func`` gives the same result on numpy inputs and on dask inputs of small chunks.

    Also checks that the dask call builds a lazy result (nothing computed at call time).
    """
    import dask

    ref = func(*rasters, **kwargs)
    lazy_in = [r.chunk({"y": chunks, "x": chunks}) if isinstance(r, xr.DataArray) else r for r in rasters]
    with dask.config.set(scheduler="sync"):
        lazy = func(*lazy_in, **kwargs)
    refs = ref if isinstance(ref, (tuple, list)) else [ref]
    lazies = lazy if isinstance(lazy, (tuple, list)) else [lazy]
    for a, b in zip(refs, lazies):
        if isinstance(a, xr.Dataset):
            for k in a.data_vars:
                np.testing.assert_allclose(np.asarray(a[k]), np.asarray(b[k].compute()), rtol=rtol, atol=atol)
        else:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b.compute()), rtol=rtol, atol=atol)
    return ref, lazy


def demand_revised_on_region(region, *, pu_size: int = 10, time_limit: float = 5.0, **overrides):
    """The Zhao et al. (2023) demand-revised priority chain on a demo region (``rp.datasets.demo_region``)
    with the packaged demo tables and the region's own layers; warnings silenced. For tests."""
    import warnings

    from ..priority.cost import demand_revised_unit_costs
    from ..priority.demand_revised import demand_revised_priority
    from ..tables import load_table

    L = region.layers
    kw = dict(unit_cost=demand_revised_unit_costs(1.0), pools=load_table("carbon_pools_6class"),
              threats_table=load_table("hq_threats_6class"), sensitivity=load_table("hq_sensitivity_6class"),
              threat_classes={"construction": (5,), "cropland": (1,)}, static_threats={"roads": L["threat_roads"]},
              half_saturation=0.3, biophysical=load_table("awy_biophysical_6class"),
              precipitation=L["precipitation"], et0=L["et0"], root_restricting_depth=L["soil_depth"],
              pawc=L["pawc"],
              drivers={k: L[k] for k in ("gdp", "population", "slope", "distance_to_river", "distance_to_road",
                                         "distance_to_settlement")},
              poi=region.vectors["poi"], poi_radius_m=3000.0, pu_size=pu_size, blm=0.5, solver="auto",
              time_limit=time_limit, min_area_km2=0.05)
    kw.update(overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return demand_revised_priority(region.series("lulc"), **kw)
