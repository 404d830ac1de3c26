"""Packaged coefficient tables (CSV with a citation ``.md`` beside each) in ``tables/data/``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.errors import ConfigError, message

__all__ = ["DATA_DIR", "package_table_path", "load_table", "list_tables"]

DATA_DIR = Path(__file__).parent / "data"


def list_tables() -> list[str]:
    """Names of the packaged tables."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv"))


def package_table_path(name: str) -> Path:
    """Path of a packaged table by name (ConfigError listing the names when unknown)."""
    p = DATA_DIR / f"{name}.csv"
    if not p.exists():
        raise ConfigError(message("package table", f"one of {list_tables()}", repr(name),
                                  "use `restoreplan list --tables` names, or give your own table in [tables]"))
    return p


def load_table(name: str) -> pd.DataFrame:
    """Read a packaged table."""
    return pd.read_csv(package_table_path(name), comment="#")
