"""Comprehensive restoration cost index (Zhao et al. 2023, eq. 7–8, Table 2).

Indicator scores :math:`L_j \\in \\{1..5\\}` (Table 2, classifiers in
:mod:`restoreplan.services.classify`):

* GDP density, population density, slope — Jenks natural breaks, 5 classes, highest class 5;
* distance to river — multi-ring buffer [0, 500) → 1 … ≥ 2000 m → 5 (far is costly);
* distance to road, to settlement — rings reversed: [0, 500) → 5 … ≥ 2000 m → 1;
* benefit B — Jenks 5 classes of the benefit raster (max_t − min_t of the ES over the epochs),
  highest benefit → 1 … lowest → 5.

.. math::
   C_i = P_{lulc(i)} \\sum_j L_{ij} \\quad (7),\\qquad
   C'_i = 1 + 4\\frac{C_i - C_{min}}{C_{max} - C_{min}},\\qquad
   \\eta_i = C'_i + B_i \\in [2, 10] \\quad (8)

Unit project costs P (Zhao et al. 2023, §2.3.5(2)): water 5.4, forest 2, grassland 3, cropland (paddy)
1.5; unused (barren) land has no published value and is a required parameter; built-up land gets
no cost (NaN — it is locked out of the selection). The unit cancels in C′.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import xarray as xr

from ..core.errors import ConfigError, ConstantInputWarning, InputError, message
from ..core.finalize import finalize
from ..core.validate import check_aligned, check_raster
from ..services.classify import check_rings, classify, jenks_breaks, ring_classes

__all__ = [
    "DEFAULT_RINGS_M",
    "INDICATORS",
    "DEMAND_REVISED_UNIT_COST",
    "benefit_range",
    "benefit_scores",
    "cost_index",
    "eta_kernel",
    "indicator_scores",
    "demand_revised_unit_costs",
]

DEFAULT_RINGS_M: tuple[float, ...] = (500.0, 1000.0, 1500.0, 2000.0)

#: Table 2: indicator -> (classifier, direction). "up": the highest class / farthest ring scores highest.
INDICATORS: dict[str, tuple[str, str]] = {
    "gdp": ("jenks", "up"),
    "population": ("jenks", "up"),
    "slope": ("jenks", "up"),
    "distance_to_river": ("rings", "up"),
    "distance_to_road": ("rings", "down"),
    "distance_to_settlement": ("rings", "down"),
}

#: Zhao et al. (2023) unit project costs on the six-class scheme (1 cropland, 2 forest, 3 grassland, 4 water).
DEMAND_REVISED_UNIT_COST: dict[int, float] = {1: 1.5, 2: 2.0, 3: 3.0, 4: 5.4}


def demand_revised_unit_costs(unused: float, *, water: float = 5.4, forest: float = 2.0, grassland: float = 3.0,
                       cropland: float = 1.5, unused_codes: Sequence[int] = (6,)) -> dict[int, float]:
    """Unit project cost per six-class code (Zhao et al. 2023); ``unused`` (barren, code 6) is required.

    >>> demand_revised_unit_costs(1.0)
    {1: 1.5, 2: 2.0, 3: 3.0, 4: 5.4, 6: 1.0}
    """
    out = {1: float(cropland), 2: float(forest), 3: float(grassland), 4: float(water)}
    for c in unused_codes:
        out[int(c)] = float(unused)
    bad = {k: v for k, v in out.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise ConfigError(message("unit_cost", "positive finite unit costs", repr(bad), "give costs > 0"))
    return out


# ------------------------------------------------------------------------------------------ kernel
def eta_kernel(p: np.ndarray, lsum: np.ndarray, b: np.ndarray, cmin: float, cmax: float):
    """C = P·ΣL, C′ = 1 + 4(C − C_min)/(C_max − C_min) (1 when the span is 0), η = C′ + B (NaN-propagating).

    >>> [round(float(v[0]), 4) for v in eta_kernel(np.array([2.0]), np.array([26.0]), np.array([2.0]), 9.0, 162.0)]
    [52.0, 2.1242, 4.1242]
    """
    c = np.asarray(p, dtype=np.float64) * np.asarray(lsum, dtype=np.float64)
    span = float(cmax) - float(cmin)
    cs = 1.0 + 4.0 * (c - float(cmin)) / span if span > 0 else np.where(np.isnan(c), np.nan, 1.0)
    eta = cs + np.asarray(b, dtype=np.float64)
    return c, cs, eta


def _unit_cost_kernel(lulc: np.ndarray, codes: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Unit cost P of each cell's code; NaN for nodata, built-up and unlisted codes."""
    out = np.full(lulc.shape, np.nan)
    for c, v in zip(codes, costs):
        out[lulc == c] = v
    return out


# ------------------------------------------------------------------------------------------ scores
def _jenks_scores(x: xr.DataArray, k: int, *, max_exact: int, seed: int, mask=None) -> xr.DataArray:
    """Jenks classes 1..k (0 = nodata) of ``x`` with breaks from the cells of ``mask`` (default all):
    :func:`restoreplan.services.classify.jenks_breaks` (exact Fisher DP on a seeded sample of
    ``max_exact`` values that keeps the min and max). Computes the breaks."""
    edges = jenks_breaks(x if mask is None else x.where(mask), k, max_exact=max_exact, seed=seed)
    return classify(x.astype(np.float64), edges)


def indicator_scores(*, k: int = 5, rings_m: Sequence[float] = DEFAULT_RINGS_M, max_exact: int = 10_000,
                     seed: int = 0, mask: xr.DataArray | None = None, **indicators: xr.DataArray | None
                     ) -> xr.Dataset:
    """Table 2 scores L_j (1..5 with the defaults) of the given indicators; None ones are skipped.

    Parameters
    ----------
    k : int
        Jenks classes of GDP, population and slope (5).
    rings_m : sequence of float
        Ring limits in metres (500, 1000, 1500, 2000 → 5 rings).
    max_exact, seed : int
        Jenks sampling (see :func:`restoreplan.services.classify.jenks_breaks`).
    mask : xarray.DataArray, optional
        Cells whose values define the Jenks breaks (default every valid cell; Zhao et al. (2023): the whole
        study area). Scores are assigned everywhere the indicator is valid.
    **indicators
        Any of ``gdp``, ``population``, ``slope``, ``distance_to_river``, ``distance_to_road``,
        ``distance_to_settlement`` (continuous rasters on one grid; distances in metres).

    Returns
    -------
    xarray.Dataset
        One float32 variable per given indicator (score, NaN = nodata), attrs ``min_score`` and
        ``max_score`` per variable.
    """
    unknown = sorted(set(indicators) - set(INDICATORS))
    if unknown:
        raise ConfigError(message("indicators", f"names among {list(INDICATORS)}", repr(unknown),
                                  "rename the indicator rasters"))
    given = {n: v for n, v in indicators.items() if v is not None}
    if not given:
        raise ConfigError(message("indicators", "at least one Table 2 indicator raster", "none",
                                  "pass e.g. slope=..., distance_to_road=..."))
    r = check_rings(rings_m)
    first = next(iter(given))
    for n, v in given.items():
        check_raster(v, name=n, crs=False)
    if len(given) > 1:
        check_aligned(**given)
    out = {}
    for n, v in given.items():
        how, direction = INDICATORS[n]
        if how == "jenks":
            cls = _jenks_scores(v, k, max_exact=max_exact, seed=seed, mask=mask)
            lo, hi = 1, k
        else:
            cls = ring_classes(v, rings_m=r, name=n)
            lo, hi = 1, len(r) + 1
        s = cls.astype(np.float32).where(cls != 0)
        if direction == "down":
            s = (hi + lo) - s
        s = finalize(s, like=given[first], name=n, units="score", method=how, direction=direction)
        s.attrs.update(min_score=lo, max_score=hi)
        out[n] = s
    return xr.Dataset(out)


def benefit_range(series: xr.DataArray, *, dim: str = "time", name: str = "benefit") -> xr.DataArray:
    """Restoration benefit = max_t − min_t of an ES over its epochs (≥ 0; NaN where any epoch is NaN)."""
    check_raster(series, name="series", crs=False)
    if dim not in series.dims or series.sizes[dim] < 2:
        raise InputError(message("series", f"an ES raster with a `{dim}` dim of ≥ 2 epochs",
                                 f"dims {dict(series.sizes)}", "stack the epochs with xr.concat(..., dim='time')"))
    s = series.astype(np.float64)
    out = (s.max(dim, skipna=False) - s.min(dim, skipna=False))
    return finalize(out, like=series, name=name, units=series.attrs.get("units"), method="max_t - min_t")


def benefit_scores(benefit: xr.DataArray, *, k: int = 5, max_exact: int = 10_000, seed: int = 0,
                   name: str = "benefit_score") -> xr.DataArray:
    """B = k + 1 − Jenks class of the benefit (highest benefit → 1 … lowest → k); NaN = nodata."""
    check_raster(benefit, name="benefit", crs=False)
    cls = _jenks_scores(benefit, k, max_exact=max_exact, seed=seed)
    out = (k + 1) - cls.astype(np.float32).where(cls != 0)
    return finalize(out, like=benefit, name=name, units="score", method="jenks, reversed")


# ------------------------------------------------------------------------------------------ index
def cost_index(lulc: xr.DataArray, *, unit_cost: Mapping[int, float], benefit: xr.DataArray,
               built_up_codes: Sequence[int] = (5,), k: int = 5, rings_m: Sequence[float] = DEFAULT_RINGS_M,
               rescale: Literal["observed", "theoretical"] = "observed", max_exact: int = 10_000, seed: int = 0,
               scores: xr.Dataset | None = None, name: str = "eta",
               **indicators: xr.DataArray | None) -> xr.Dataset:
    r"""Comprehensive restoration cost index η of Zhao et al. (2023) (eq. 7–8, Table 2).

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use (the year the costs apply to, e.g. the end year).
    unit_cost : mapping int -> float
        Unit project cost P per land-use code (e.g. :func:`demand_revised_unit_costs`); every valid code
        except ``built_up_codes`` must be listed (ConfigError listing the missing ones).
    benefit : xarray.DataArray
        Benefit raster, max_t − min_t of the ES (:func:`benefit_range`).
    built_up_codes : sequence of int
        Built-up codes: no cost (NaN), locked out of the ``marxan_priority`` selection.
    k : int
        Jenks classes of the Jenks indicators and of B (5).
    rings_m : sequence of float
        Ring limits (m) of the distance indicators.
    rescale : {"observed", "theoretical"}
        C_min/C_max over the valid cells (default) or the extremes the formula can reach,
        min P·Σ min L and max P·Σ max L (**assumption — parameter**).
    max_exact, seed : int
        Jenks sampling.
    scores : xarray.Dataset, optional
        Indicator scores already computed by :func:`indicator_scores` (reused across services);
        then ``indicators`` must be empty.
    name : str
        Name of the η variable.
    **indicators
        Table 2 indicators (see :func:`indicator_scores`); a missing one is omitted from ΣL.

    Returns
    -------
    xarray.Dataset
        ``unit_cost`` P, ``l_sum`` ΣL, ``c`` (C, eq. 7), ``c_scaled`` (C′ ∈ [1, 5]), ``benefit_score``
        (B ∈ 1..5), ``eta`` (η = C′ + B ∈ [2, 10]); float64, NaN on built-up or nodata cells.
        ``attrs``: the indicators used, C_min and C_max (numpy input).

    Notes
    -----
    .. math:: C_i = P_i\sum_j L_{ij},\quad C'_i = 1 + 4\frac{C_i - C_{min}}{C_{max} - C_{min}},
              \quad \eta_i = C'_i + B_i

    Verify: forest (P = 2), L = [5, 5, 5, 1, 5, 5] → C = 52; C_min = 9, C_max = 162 → C′ = 2.1242;
    B = 2 → η = 4.1242. Jenks breaks use every valid cell of each layer. Computes the breaks.
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    check_raster(benefit, name="benefit", crs=False)
    if rescale not in ("observed", "theoretical"):
        raise ConfigError(message("rescale", "'observed' or 'theoretical'", repr(rescale), "use 'observed'"))
    if lulc.rio.crs is not None and benefit.rio.crs is not None:
        check_aligned(lulc=lulc, benefit=benefit)
    from ..core.validate import valid_codes

    uc = {int(c): float(v) for c, v in dict(unit_cost).items()}
    bad = {c: v for c, v in uc.items() if not (np.isfinite(v) and v > 0)}
    if bad:
        raise ConfigError(message("unit_cost", "positive finite unit costs", repr(bad), "give costs > 0"))
    locked = {int(c) for c in built_up_codes}
    present = {int(c) for c in valid_codes(lulc)}
    missing = sorted(present - locked - set(uc))
    if missing:
        raise ConfigError(message("unit_cost", "a unit cost for every valid non-built-up land-use code",
                                  f"no cost for codes {missing}",
                                  "add them (Zhao et al. 2023 leave unused land to you: demand_revised_unit_costs(unused=...))"))
    codes = np.array(sorted(set(uc) - locked), dtype=np.int64)
    costs = np.array([uc[c] for c in codes], dtype=np.float64)
    p = xr.apply_ufunc(_unit_cost_kernel, lulc, kwargs={"codes": codes, "costs": costs},
                       dask="parallelized", output_dtypes=[np.float64])
    if scores is None:
        scores = indicator_scores(k=k, rings_m=rings_m, max_exact=max_exact, seed=seed, **indicators)
    elif any(v is not None for v in indicators.values()):
        raise ConfigError(message("scores", "either precomputed scores or indicator rasters", "both",
                                  "pass scores=indicator_scores(...) alone"))
    for n in scores.data_vars:
        if lulc.rio.crs is not None and scores[n].rio.crs is not None:
            check_aligned(lulc=lulc, **{n: scores[n]})
    lsum = sum(scores[n].astype(np.float64) for n in scores.data_vars)
    b = benefit_scores(benefit, k=k, max_exact=max_exact, seed=seed).astype(np.float64)
    if rescale == "theoretical":
        lo = sum(float(scores[n].attrs["min_score"]) for n in scores.data_vars)
        hi = sum(float(scores[n].attrs["max_score"]) for n in scores.data_vars)
        used = costs[np.isin(codes, sorted(present))] if present else costs
        cmin, cmax = float(used.min()) * lo, float(used.max()) * hi
    else:
        c_all = (p * lsum).where(b.notnull())
        cmin, cmax = float(c_all.min(skipna=True)), float(c_all.max(skipna=True))
        if not np.isfinite(cmin):
            raise ConfigError(message("cost_index", "at least one cell with every input valid", "none",
                                      "check the nodata masks of lulc, the indicators and the benefit"))
    if cmax <= cmin:
        warnings.warn(f"cost_index: C is constant ({cmin}); C′ = 1 everywhere", ConstantInputWarning, stacklevel=2)
    c, cs, eta = xr.apply_ufunc(eta_kernel, p, lsum, b, kwargs={"cmin": cmin, "cmax": cmax},
                                output_core_dims=[[], [], []], dask="parallelized",
                                output_dtypes=[np.float64, np.float64, np.float64])
    parts = {"unit_cost": (p, "P (unit project cost)"), "l_sum": (lsum, "sum of L"), "c": (c, "eq. 7"),
             "c_scaled": (cs, "1 + 4(C - Cmin)/(Cmax - Cmin)"), "benefit_score": (b, "Jenks, reversed"),
             "eta": (eta, "eq. 8")}
    ds = xr.Dataset({key: finalize(v.where(b.notnull() & lsum.notnull()) if key != "unit_cost" else v,
                                   like=lulc, name=name if key == "eta" else key,
                                   units="score" if key != "unit_cost" else "currency/hm2", formula=f)
                     for key, (v, f) in parts.items()})
    ds.attrs = {"indicators": ",".join(scores.data_vars), "c_min": cmin, "c_max": cmax, "rescale": rescale}
    return ds
