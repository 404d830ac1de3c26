"""InVEST-style model runs (datastack args in, InVEST's files out), built on the public service functions.

``run_carbon``, ``run_habitat_quality`` and ``run_annual_water_yield`` take the ``args`` dict of an
InVEST 3.20 datastack (see :mod:`restoreplan.services.invest_compat`) and an output folder, and
return ``{file name: path}`` of what they wrote. Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import AlignmentError, ConfigError, message
from . import carbon as _carbon
from . import habitat_quality as _hq
from . import water_yield as _wy
from ._fast import close_to
from .invest_compat import (
    F32_MAX,
    F32_MIN,
    Grid,
    RasterWriter,
    as_dataarray,
    csv_text,
    encode,
    flag,
    number,
    output_folder,
    raise_problems,
    read_many,
    read_table,
    read_vector_any,
    require,
    results_suffix,
    to_float,
    warp_grid,
    warp_nearest,
)

__all__ = ["MODELS", "run_annual_water_yield", "run_carbon", "run_habitat_quality"]

_CARBON_NODATA = -1.0
_AWY_NODATA = -1.0


def _close(a: np.ndarray, v: float) -> np.ndarray:
    return close_to(a, v)


# ------------------------------------------------------------------------------------------ carbon
def run_carbon(args: dict, out_dir, *, fast: bool = True, overwrite: bool = False) -> dict[str, Path]:
    """InVEST Carbon: ``c_storage_bas``, ``c_storage_alt``, ``c_change_bas_alt``, ``npv_alt`` (+ summary CSV)."""
    problems: list[str] = []
    require(args, ["lulc_bas_path", "carbon_pools_path"], problems)
    seq = flag(args, "calc_sequestration")
    val = flag(args, "do_valuation")
    if seq:
        require(args, ["lulc_alt_path"], problems)
    if val:
        if not seq:
            problems.append(message("do_valuation", "calc_sequestration = true (valuation needs the alternate map)",
                                    "calc_sequestration false", "set calc_sequestration to true"))
        vals = {k: number(args, k, problems) for k in ("lulc_bas_year", "lulc_alt_year", "price_per_metric_ton_of_c",
                                                        "discount_rate", "rate_change")}
        if not problems and vals["lulc_bas_year"] >= vals["lulc_alt_year"]:
            problems.append(message("lulc_alt_year", f"a year after lulc_bas_year ({vals['lulc_bas_year']:g})",
                                    f"{vals['lulc_alt_year']:g}", "the alternate LULC year must be later"))
    raise_problems(problems, "carbon")
    sfx = results_suffix(args)
    pools = read_table(args["carbon_pools_path"], name="carbon_pools_path")
    keys = {"bas": args["lulc_bas_path"], **({"alt": args["lulc_alt_path"]} if seq else {})}
    scen = read_many(keys, names={"bas": "lulc_bas_path", "alt": "lulc_alt_path"})
    if seq:
        b, a = scen["bas"].grid, scen["alt"].grid
        if (abs(b.transform.a), abs(b.transform.e)) != (abs(a.transform.a), abs(a.transform.e)) or b.shape != a.shape:
            raise AlignmentError(message("lulc_alt_path", "the pixel size and dimensions of lulc_bas_path",
                                         f"{a.shape} at {a.transform.a:g} m vs {b.shape} at {b.transform.a:g} m",
                                         "resample the alternate map onto the baseline grid (rp.io.align)"))
    dens = {}
    for k, r in scen.items():
        da = as_dataarray(r.data, r.grid, nodata=r.nodata, name=f"lulc_{k}")
        dens[k] = _carbon.carbon_storage(da, pools, pools_name="carbon_pools_path").values
    grid = scen["bas"].grid
    area = abs(grid.transform.a * grid.transform.e)
    summary = []
    enc = {k: encode(d, _CARBON_NODATA) for k, d in dens.items()}
    rasters = []
    for k, label in (("bas", "Baseline Carbon Storage"), ("alt", "Alternate Carbon Storage")):
        if k in enc:
            rasters.append((f"c_storage_{k}{sfx}.tif", enc[k], grid, _CARBON_NODATA))
            summary.append((label, enc[k], _CARBON_NODATA, "metric_ton", f"c_storage_{k}{sfx}.tif"))
    if "alt" in enc:
        # InVEST's nodata test is isclose(value, -1): a change of exactly -1 t/ha also reads as nodata
        bad = _close(enc["alt"], _CARBON_NODATA) | _close(enc["bas"], _CARBON_NODATA)
        change = np.where(bad, np.float32(_CARBON_NODATA), enc["alt"] - enc["bas"]).astype(np.float32)
        rasters.append((f"c_change_bas_alt{sfx}.tif", change, grid, _CARBON_NODATA))
        summary.append(("Change in Carbon Storage", change, _CARBON_NODATA, "metric_ton", f"c_change_bas_alt{sfx}.tif"))
        if val:
            v = _carbon.valuation_constant(price_per_t=vals["price_per_metric_ton_of_c"],
                                           discount_rate_pct=vals["discount_rate"], rate_change_pct=vals["rate_change"],
                                           bas_year=int(vals["lulc_bas_year"]), alt_year=int(vals["lulc_alt_year"]))
            npv = np.where(_close(change, _CARBON_NODATA), np.float32(F32_MAX),
                           change * np.float32(v)).astype(np.float32)
            rasters.append((f"npv_alt{sfx}.tif", npv, grid, F32_MAX))
            summary.append(("Net Present Value of Carbon Change", npv, F32_MAX, "currency", f"npv_alt{sfx}.tif"))
    rows = []
    for label, arr, nod, units, fname in summary:
        total = float(np.sum(arr[~_close(arr, nod)], dtype=np.float64))
        rows.append([label, total * area / 10000, units, fname])
    with output_folder(out_dir, overwrite=overwrite) as tmp:
        w = RasterWriter(tmp, fast=fast)
        w.write_many(rasters)
        w.write_text(f"raster_values_summary{sfx}.csv", csv_text(rows, ["Raster", "Total", "Units", "Filename"]))
        names = [p.name for p in w.written]
    return {n: Path(out_dir) / n for n in names}


# ---------------------------------------------------------------------------------- habitat quality
def _hq_target_grid(cur: Grid) -> Grid:
    px = min(abs(cur.transform.a), abs(cur.transform.e))
    if abs(cur.transform.a) == abs(cur.transform.e):
        return cur
    return warp_grid(cur.bounds, (px, -px), cur.crs)


def run_habitat_quality(args: dict, out_dir, *, fast: bool = True, overwrite: bool = False) -> dict[str, Path]:
    """InVEST Habitat Quality: ``deg_sum_*``, ``quality_*`` (c/f/b), ``rarity_*`` (.tif + .csv)."""
    problems: list[str] = []
    require(args, ["lulc_cur_path", "threats_table_path", "sensitivity_table_path"], problems)
    k = number(args, "half_saturation_constant", problems)
    if k is not None and not k > 0:
        problems.append(message("half_saturation_constant", "a value > 0", repr(k), "use e.g. 0.05"))
    for opt in ("lulc_fut_path", "lulc_bas_path", "access_vector_path"):
        if opt in args:
            require(args, [opt], problems)
    raise_problems(problems, "habitat_quality")
    sfx = results_suffix(args)
    threats_csv = Path(args["threats_table_path"])
    traw = read_table(threats_csv, name="threats_table_path")
    tt = _hq.threats_frame(traw)
    st = _hq.sensitivity_frame(read_table(args["sensitivity_table_path"], name="sensitivity_table_path"), tt.index)
    cols = {"c": "cur_path", "f": "fut_path", "b": "base_path"}
    lulc_keys = {"c": "lulc_cur_path", "f": "lulc_fut_path", "b": "lulc_bas_path"}
    scen = [s for s in "cfb" if lulc_keys[s] in args]
    # threat paths (relative to the threats table), all problems at once
    paths: dict[str, dict[str, Path | None]] = {}
    seen: dict[Path, str] = {}
    for s in scen:
        paths[s] = {}
        for t, row in tt.iterrows():
            v = row.get(cols[s]) if cols[s] in tt.columns else None
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
                if s != "b":
                    problems.append(message(f"threats_table.{cols[s]}", f"a raster path for threat {t!r}",
                                            "an empty cell", f"fill `{cols[s]}` for {t!r}"))
                paths[s][t] = None
                continue
            p = Path(str(v).strip())
            p = p if p.is_absolute() else (threats_csv.parent / p)
            if not p.exists():
                problems.append(message(f"threats_table.{cols[s]}", f"an existing raster for threat {t!r}",
                                        f"no file at {p}", "paths are relative to the threats table"))
            elif p.resolve() in seen:
                problems.append(message(f"threats_table.{cols[s]}", "unique threat raster paths",
                                        f"{p.name} used twice", "give each threat/scenario its own raster"))
            seen[p.resolve()] = t
            paths[s][t] = p
    raise_problems(problems, "habitat_quality")
    items = {f"lulc_{s}": args[lulc_keys[s]] for s in scen}
    items.update({f"{s}:{t}": str(p) for s in scen for t, p in paths[s].items() if p is not None})
    rasters = read_many(items, names={f"lulc_{s}": lulc_keys[s] for s in scen})
    cur = rasters["lulc_c"]
    grid = _hq_target_grid(cur.grid)
    lulc = {}
    for s in scen:
        r = rasters[f"lulc_{s}"]
        lulc[s] = as_dataarray(warp_nearest(r, grid), grid, nodata=r.nodata, name=f"lulc_{s}")
    access = None
    if "access_vector_path" in args:
        gdf = read_vector_any(args["access_vector_path"], name="access_vector_path")
        access = _hq.rasterize_access(gdf, like=lulc["c"])
    results = {}
    for s in scen:
        if any(p is None for p in paths[s].values()):
            continue  # InVEST skips the baseline's quality when a baseline threat raster is missing
        thr = {}
        for t in paths[s]:
            r = rasters[f"{s}:{t}"]
            thr[t] = as_dataarray(warp_nearest(r, grid), grid, nodata=r.nodata, name=t, georef=False)
        results[s] = _hq.habitat_quality(lulc[s], thr, tt, st, half_saturation=k, access=access,
                                         invest_quirks=True)
    rarity = {}
    if "b" in lulc:
        for s in ("c", "f"):
            if s in lulc:
                rarity[s] = _hq.habitat_rarity(lulc[s], lulc["b"])
    rasters = []
    for s, ds in results.items():
        rasters.append((f"deg_sum_{s}{sfx}.tif", encode(ds["degradation"].values, F32_MAX), grid, F32_MAX))
        rasters.append((f"quality_{s}{sfx}.tif", encode(ds["quality"].values, F32_MAX), grid, F32_MAX))
    for s, (table, ras) in rarity.items():
        rasters.append((f"rarity_{s}{sfx}.tif", encode(ras.values, F32_MIN), grid, F32_MIN))
    with output_folder(out_dir, overwrite=overwrite) as tmp:
        w = RasterWriter(tmp, fast=fast)
        w.write_many(rasters)
        for s, (table, ras) in rarity.items():
            rows = [[int(c), float(v)] for c, v in zip(table["lucode"], table["rarity_value"])]
            w.write_text(f"rarity_{s}{sfx}.csv", csv_text(rows, ["lucode", "rarity_value"]))
        names = [p.name for p in w.written]
    return {n: Path(out_dir) / n for n in names}


# ------------------------------------------------------------------------------- annual water yield
def _bounds_in(grid: Grid, crs) -> list[float]:
    """Bounds of ``grid`` in ``crs`` (edges sampled like pygeoprocessing's transform_bounding_box)."""
    if grid.crs is None or crs is None or grid.crs == crs:
        return grid.bounds
    from rasterio.warp import transform_bounds

    return list(transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=9))


def _awy_grid(rasters: list, lulc_grid: Grid, vector_bounds) -> Grid:
    """Intersection of raster and vector bounds, lower-left snapped to the LULC grid (pygeoprocessing)."""
    bbs = [list(vector_bounds)] + [_bounds_in(r.grid, lulc_grid.crs) for r in rasters]
    bb = [max(b[0] for b in bbs), max(b[1] for b in bbs), min(b[2] for b in bbs), min(b[3] for b in bbs)]
    if bb[0] >= bb[2] or bb[1] >= bb[3]:
        raise AlignmentError(message("annual water yield inputs", "rasters and watersheds that overlap",
                                     f"an empty intersection {bb}", "check the extents and CRS of the inputs"))
    t = lulc_grid.transform
    lb = lulc_grid.bounds
    px, py = t.a, t.e
    for idx, size in ((0, px), (1, py)):
        n = int((bb[idx] - lb[idx]) / float(size))
        bb[idx] = n * size + lb[idx]
    return warp_grid(bb, (px, py), lulc_grid.crs)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return f"{float(v):.11f}"


def _results_csv(zones, id_field: str, table: pd.DataFrame, extra_cols: list[str]) -> str:
    cols = ["precip_mn", "PET_mn", "AET_mn", "wyield_mn", "wyield_vol", *extra_cols]
    attrs = [c for c in zones.columns if c != zones.geometry.name]
    lines = [",".join(attrs + cols)]
    for i in range(len(zones)):
        cells = []
        for c in attrs:
            v = zones[c].iloc[i]
            cells.append(f'"{v}"' if str(c).lower() == id_field else ("" if pd.isna(v) else str(v)))
        cells += [_fmt(table[c].iloc[i]) for c in cols]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def run_annual_water_yield(args: dict, out_dir, *, fast: bool = True, overwrite: bool = False) -> dict[str, Path]:
    """InVEST Annual Water Yield: ``fractp``, ``aet``, ``wyield`` and the (sub)watershed result CSVs."""
    problems: list[str] = []
    req = ["lulc_path", "depth_to_root_rest_layer_path", "precipitation_path", "pawc_path", "eto_path",
           "watersheds_path", "biophysical_table_path"]
    require(args, req, problems)
    z = number(args, "seasonality_constant", problems)
    if z is not None and not z > 0:
        problems.append(message("seasonality_constant", "Z > 0", repr(z), "use a value in 1–30"))
    for opt in ("sub_watersheds_path", "demand_table_path", "valuation_table_path"):
        if opt in args:
            require(args, [opt], problems)
    if "valuation_table_path" in args and "demand_table_path" not in args:
        problems.append(message("demand_table_path", "a demand table (required with a valuation table)", "nothing",
                                "add demand_table_path"))
    raise_problems(problems, "annual_water_yield")
    sfx = results_suffix(args)
    bio = _wy.biophysical_frame(read_table(args["biophysical_table_path"], name="biophysical_table_path"))
    names = ["eto_path", "precipitation_path", "depth_to_root_rest_layer_path", "pawc_path", "lulc_path"]
    rs = read_many({n: args[n] for n in names})
    lulc_r = rs["lulc_path"]
    ws = read_vector_any(args["watersheds_path"], name="watersheds_path")
    ws_bounds = list(ws.total_bounds)
    if ws.crs is not None and lulc_r.grid.crs is not None and ws.crs != lulc_r.grid.crs:
        from rasterio.warp import transform_bounds

        ws_bounds = list(transform_bounds(ws.crs, lulc_r.grid.crs, *ws_bounds, densify_pts=9))
        ws = ws.to_crs(lulc_r.grid.crs)
    grid = _awy_grid(list(rs.values()), lulc_r.grid, ws_bounds)
    aligned = {n: warp_nearest(r, grid) for n, r in rs.items()}
    lulc = as_dataarray(aligned["lulc_path"], grid, nodata=lulc_r.nodata, name="lulc")
    fl = {n: as_dataarray(to_float(rs[n], aligned[n]), grid, name=n) for n in names[:-1]}
    ds = _wy.water_yield(lulc, fl["precipitation_path"], fl["eto_path"], fl["depth_to_root_rest_layer_path"],
                         fl["pawc_path"], bio, seasonality_z=z)
    demand = None
    if "demand_table_path" in args:
        dt = read_table(args["demand_table_path"], name="demand_table_path")
        from ._lulc_lookup import reclassify, table_by_code

        dtab = table_by_code(dt, name="demand_table_path", required=["demand"])
        demand = reclassify(aligned["lulc_path"], dtab.index.to_numpy(), dtab["demand"].to_numpy(np.float64)
                            .astype(np.float32), nodata=lulc_r.nodata, fill=np.float32(np.nan),
                            table_name="demand_table_path")
    valuation = None
    if "valuation_table_path" in args:
        from ._lulc_lookup import table_by_code

        valuation = table_by_code(read_table(args["valuation_table_path"], name="valuation_table_path"),
                                  name="valuation_table_path", code_column="ws_id",
                                  required=["efficiency", "fraction", "height", "kw_price", "cost", "time_span",
                                            "discount"])
        wcol = {str(c).lower(): c for c in ws.columns}.get("ws_id")
        miss = sorted({int(v) for v in ws[wcol]} - set(valuation.index)) if wcol else []
        if miss:
            raise ConfigError(message("valuation_table_path", "a row for every ws_id of the watersheds",
                                      f"no row for ws_id {miss}", "add those watersheds to the valuation table"))
    sheds = [("ws_id", ws, f"watershed_results_wyield{sfx}.csv")]
    if "sub_watersheds_path" in args:
        sub = read_vector_any(args["sub_watersheds_path"], name="sub_watersheds_path")
        if sub.crs is not None and grid.crs is not None and sub.crs != grid.crs:
            sub = sub.to_crs(grid.crs)
        sheds.append(("subws_id", sub, f"subwatershed_results_wyield{sfx}.csv"))
    precip_da = as_dataarray(to_float(rs["precipitation_path"], aligned["precipitation_path"]), grid)
    tables = []
    for id_field, zones, fname in sheds:
        tab = _wy.watershed_summary(ds, precip_da, zones, id_field=id_field)
        extra = []
        if demand is not None:
            dm = _wy.zonal_means({"d": as_dataarray(demand, grid)}, zones, like=ds["wyield"], sums=True)
            tab["consum_vol"], tab["consum_mn"] = dm["d_sum"].to_numpy(), dm["d"].to_numpy()
            tab["rsupply_vl"] = tab["wyield_vol"] - tab["consum_vol"]
            tab["rsupply_mn"] = tab["wyield_mn"] - tab["consum_mn"]
            extra = ["consum_vol", "consum_mn", "rsupply_vl", "rsupply_mn"]
            if valuation is not None and id_field == "ws_id":
                en, npv = [], []
                for wid, rs_vl in zip(tab["ws_id"], tab["rsupply_vl"]):
                    if np.isnan(rs_vl):
                        en.append(np.nan), npv.append(np.nan)
                        continue
                    row = valuation.loc[int(wid)]
                    energy = row["efficiency"] * row["fraction"] * row["height"] * rs_vl * 0.00272
                    ratio = 1 / (1 + row["discount"] / 100)
                    dsum = (1 - ratio ** row["time_span"]) / (1 - ratio) if ratio != 1 else 0
                    en.append(energy), npv.append(((row["kw_price"] * energy) - row["cost"]) * dsum)
                tab["hp_energy"], tab["hp_val"] = en, npv
                extra += ["hp_energy", "hp_val"]
        tables.append((id_field, zones, fname, tab, extra))
    rasters = [(f"fractp{sfx}.tif", encode(ds["fractp"].values, _AWY_NODATA, np.float32), grid, _AWY_NODATA)]
    for nm in ("wyield", "aet"):
        arr = ds[nm].values
        rasters.append((f"{nm}{sfx}.tif", encode(arr, _AWY_NODATA, arr.dtype), grid, _AWY_NODATA))
    with output_folder(out_dir, overwrite=overwrite) as tmp:
        w = RasterWriter(tmp, fast=fast)
        w.write_many(rasters)
        for id_field, zones, fname, tab, extra in tables:
            w.write_text(fname, _results_csv(zones, id_field, tab, extra))
        out = [p.name for p in w.written]
    return {n: Path(out_dir) / n for n in out}


MODELS = {
    "carbon": run_carbon,
    "habitat-quality": run_habitat_quality,
    "annual-water-yield": run_annual_water_yield,
}
