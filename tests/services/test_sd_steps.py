"""Registry entries of the supply/demand methods: every ``example`` runs on the demo region."""

import numpy as np
import pandas as pd
import pydantic
import pytest
import xarray as xr

from restoreplan.pipeline import registry
from restoreplan.tables import load_table

MINE = ["normalize", "lulc_matrix", "esv", "esv_costanza", "poi_density", "demand_proxy", "jenks_classes",
        "geometric_classes", "distance_rings"]


@pytest.fixture(scope="module")
def region():
    from restoreplan.datasets import demo_region

    return demo_region(size=100, seed=0)  # 100 cells: the smallest size with POIs


def _resolve(ref, region):
    """The study-file reference forms used by the examples: layer, layer@year, package:, vector:."""
    if ref.startswith("package:"):
        return load_table(ref.split(":", 1)[1])
    if ref.startswith("vector:"):
        return region.vectors[ref.split(":", 1)[1]]
    name, _, year = ref.partition("@")
    lay = region.layers[name]
    if isinstance(lay, dict):
        return lay[int(year)] if year else region.series(name)
    return lay


@pytest.mark.parametrize("method", MINE, ids=str)
def test_example_runs_on_demo_region(method, region):
    spec = registry.get(method)
    assert spec.example is not None and spec.formula and {"numpy", "dask"} <= set(spec.backends)
    inputs = {k: _resolve(v, region) for k, v in spec.example["inputs"].items()}
    known = {i.name for i in spec.inputs}
    assert set(inputs) <= known
    assert all(i.name in inputs for i in spec.inputs if not i.optional)
    params = spec.params(**spec.example.get("params", {}))
    result = spec.func(**inputs, **params.model_dump())
    outputs = result if isinstance(result, dict) else {spec.outputs[0]: result}
    assert sorted(outputs) == sorted(spec.outputs)
    grid = region.grid
    for name, obj in outputs.items():
        assert isinstance(obj, (xr.DataArray, pd.DataFrame)), name
        if isinstance(obj, xr.DataArray):
            assert obj.attrs.get("units"), name
            assert obj.sizes["y"] == grid.sizes["y"] and obj.sizes["x"] == grid.sizes["x"]
            assert obj.rio.transform() == grid.rio.transform() and obj.rio.crs == grid.rio.crs
            vals = np.asarray(obj.values, dtype=float)
            assert np.isfinite(vals).any(), name
        else:
            assert len(obj) > 0, name


def test_param_models_are_frozen_and_bounded():
    p = registry.get("poi_density").params(radius_m=3000.0)
    with pytest.raises(pydantic.ValidationError):
        p.radius_m = 10.0
    with pytest.raises(pydantic.ValidationError):
        registry.get("poi_density").params(radius_m=-1.0)
    with pytest.raises(pydantic.ValidationError):
        registry.get("esv").params()  # equivalent_value is required
    with pytest.raises(pydantic.ValidationError):
        registry.get("normalize").params(method="minmax_pos", bogus=1)
    rows = {r["name"]: r for r in registry.get("esv").param_table()}
    assert rows["equivalent_value"]["units"] == "yuan/hm2/a" and rows["equivalent_value"]["required"]
