import numpy as np
import pytest

from restoreplan.io import write_raster
from restoreplan.testing import make_raster


@pytest.fixture()
def tiny_study(tmp_path):
    """A valid study on 6×6 rasters: lulc for two years, a DEM, and steps using core methods."""
    d = tmp_path / "stüdy"
    d.mkdir()
    rng = np.random.default_rng(1)
    for y in (2000, 2020):
        arr = rng.integers(1, 7, (6, 6)).astype(np.uint8)
        arr[0, 0] = 255
        write_raster(make_raster(arr, nodata=255), d / f"lulc_{y}.tif")
    write_raster(make_raster(rng.normal(100, 5, (6, 6)).astype(np.float32)), d / "dem.tif")
    toml = d / "study.toml"
    toml.write_text('''
[study]
name = "tiny"
template = "lulc"

[layers.lulc]
kind = "categorical"
paths = { 2000 = "lulc_2000.tif", 2020 = "lulc_2020.tif" }

[layers.dem]
kind = "continuous"
path = "dem.tif"

[[steps]]
method = "class_area"
inputs = { lulc = "lulc" }

[[steps]]
method = "slope"
inputs = { dem = "dem" }

[[steps]]
id = "dist_built"
method = "distance_to_classes"
inputs = { lulc = "lulc@2020" }
params = { classes = [5] }
''', encoding="utf-8")
    return toml
