"""The README's Python quickstart runs as written, in an empty folder."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _quickstart() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"## Python quickstart\n```python\n(.*?)```", text, re.S)
    assert m, "README.md has no ```python block under '## Python quickstart'"
    return m.group(1)


def test_readme_keeps_its_two_setup_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[3].startswith("python3.11 -m venv .venv") and "restoreplan demo --out restoreplan-demo" in lines[3]
    assert lines[4].startswith("python3.11 -m venv .venv") and "python -m pytest -n 2 -q" in lines[4]


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__readme__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(_quickstart(), str(README) + ":quickstart", "exec"), ns)
    assert (tmp_path / "slope.tif").is_file() and (tmp_path / "demo-inputs" / "lulc_2020.tif").is_file()
    assert ns["s"].attrs["units"] == "degrees"
    assert ns["future"].shape == ns["lulc_2010"].shape
    sol = ns["solution"]
    assert sol.status == "optimal" and sol.x.sum() > 0
