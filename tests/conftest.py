"""Shared fixtures. Real-data tests read ../shared beside the repository and FAIL (never skip) if it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"required shared data missing: {path} (CI runs with ../shared beside the clone)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (fails loudly if absent)."""
    return _need(SHARED)


@pytest.fixture(scope="session")
def wuhan(shared) -> Path:
    """../shared/data/wuhan_plus."""
    return _need(shared / "data" / "wuhan_plus")


@pytest.fixture(scope="session")
def invest_anchors(shared) -> Path:
    """../shared/anchors/invest."""
    return _need(shared / "anchors" / "invest")


@pytest.fixture(scope="session")
def marxan_anchors(shared) -> Path:
    """../shared/anchors/marxan."""
    return _need(shared / "anchors" / "marxan")
