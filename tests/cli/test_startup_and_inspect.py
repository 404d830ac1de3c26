"""`restoreplan --help` starts without the heavy libraries; `inspect` shows units and class names."""

import json
import subprocess
import sys

from click.testing import CliRunner

HEAVY = ("numpy", "pandas", "xarray", "dask", "sklearn", "numba", "matplotlib", "geopandas", "rasterio",
         "rioxarray", "scipy", "shapely", "pydantic")


def test_help_imports_no_heavy_library():
    """A fresh interpreter: import the CLI group and print --help; none of the heavy modules may load."""
    code = ("import sys\nfrom restoreplan.cli.main import cli\n"
            "try:\n    cli(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]", out
    assert "demo" in out and "inspect" in out and "marxan" in out  # the plugin commands are listed too


def test_inspect_shows_units_and_class_names(tmp_path):
    from restoreplan.cli.main import cli
    from restoreplan.datasets import demo_region

    written = demo_region(size=40, seed=0).write(tmp_path / "in")
    lulc, dem = written["layers"]["lulc"][2020], written["layers"]["dem"]
    r = CliRunner().invoke(cli, ["inspect", str(lulc)])
    assert r.exit_code == 0, r.output
    assert "units class" in r.output and "cropland" in r.output and "construction" in r.output
    r = CliRunner().invoke(cli, ["inspect", str(dem)])
    assert r.exit_code == 0 and "units m" in r.output
    # a categorical raster without stored names: --class-scheme supplies them
    import rasterio

    bare = tmp_path / "bare.tif"
    with rasterio.open(lulc) as src:
        prof, arr = src.profile, src.read(1)
    with rasterio.open(bare, "w", **prof) as dst:
        dst.write(arr, 1)
    r = CliRunner().invoke(cli, ["inspect", str(bare)])
    assert r.exit_code == 0 and "pass --class-scheme" in r.output and "units not recorded" in r.output
    r = CliRunner().invoke(cli, ["inspect", str(bare), "--class-scheme", "six_class", "--json"])
    info = json.loads(r.output)
    assert info["class_names"]["5"] == "construction land" and info["class_names_from"] == "class scheme six_class"
    r = CliRunner().invoke(cli, ["inspect", str(bare), "--class-scheme", "missing.csv"])
    assert r.exit_code != 0 and "--class-scheme" in r.output and "Traceback" not in r.output
