"""Step outputs with extra dims are written as one GeoTIFF per combination, streamed, values exact."""
import numpy as np
import rasterio
import rioxarray  # noqa: F401
import xarray as xr

from restoreplan.pipeline.runner import write_output


def _stack(chunked: bool):
    rng = np.random.default_rng(3)
    data = rng.random((2, 3, 5, 4)).astype(np.float32)
    data[0, 1, 2, 3] = np.nan
    da = xr.DataArray(data, dims=("service", "time", "y", "x"),
                      coords={"service": ["food", "water"], "time": [2003, 2005, 2010],
                              "y": 100.0 - 30 * np.arange(5) - 15, "x": 30 * np.arange(4) + 15.0})
    da = da.rio.write_crs("EPSG:32649")
    return da.chunk({"service": 1, "time": 1, "y": 2, "x": 2}) if chunked else da


def test_four_dim_output_one_tif_per_combination(tmp_path):
    for chunked in (False, True):
        out = tmp_path / str(chunked)
        out.mkdir()
        da = _stack(chunked)
        files = write_output("lulc_matrix.balance", da, out)
        names = sorted(f.name for f in files)
        assert names == sorted(f"lulc_matrix.balance_{s}_{t}.tif" for s in ("food", "water") for t in (2003, 2005, 2010))
        for s in ("food", "water"):
            for t in (2003, 2005, 2010):
                with rasterio.open(out / f"lulc_matrix.balance_{s}_{t}.tif") as src:
                    assert src.crs.to_epsg() == 32649
                    np.testing.assert_array_equal(src.read(1), np.asarray(da.sel(service=s, time=t)))
        assert not list(out.glob("*.nc"))
