"""Sensitivity coefficient: the worked example, a raster case and a balance that can be negative."""

import numpy as np
import pandas as pd
import pytest

from restoreplan.analysis.sensitivity import (
    es_total_sensitivity,
    linear_total,
    sensitivity_coefficients,
)
from restoreplan.core.errors import ConstantInputWarning
from restoreplan.testing import make_raster


def test_verify_line():
    # A = [10, 30] hm², VC = [100, 50] → ESV 2500; class 1 at +50 % → 3000 → CS = (500/2500)/0.5 = 0.4
    areas = pd.Series([10.0, 30.0], index=[1, 2])
    vc = pd.DataFrame({"value": [100.0, 50.0]}, index=[1, 2])
    cs = sensitivity_coefficients(linear_total(areas), vc)
    assert cs.loc[1, "y0"] == 2500 and cs.loc[1, "y_plus"] == 3000
    assert cs.loc[1, "cs_plus"] == pytest.approx(0.4) and cs.loc[2, "cs_plus"] == pytest.approx(0.6)
    # linear total: CS = class share for both directions, |CS| < 1 automatically
    assert cs["cs_minus"].tolist() == pytest.approx([0.4, 0.6]) and not cs["elastic"].any()


def test_raster_and_negative_balance():
    # 1 hm² cells (100 m): 10 cells of class 1 and 30 of class 2
    lulc = make_raster(np.array([[1] * 10 + [2] * 30 + [255] * 2], np.uint8).reshape(6, 7), res=100, nodata=255)
    vc = pd.DataFrame({"lucode": [1, 2], "a": [60.0, 20.0], "b": [40.0, 30.0]})
    cs = es_total_sensitivity(lulc, vc)
    assert cs.loc[1, "area_hm2"] == pytest.approx(10) and cs.loc[1, "cs_plus"] == pytest.approx(0.4)
    # balance Y = Σ A (S − D) = 10·(5 − 1) + 30·(1 − 4) = −50; S1 × 1.5 → −25 → CS = ((−25 + 50)/−50)/0.5 = −1
    s = pd.DataFrame({"lucode": [1, 2], "s": [5.0, 1.0]})
    d = pd.DataFrame({"lucode": [1, 2], "s": [1.0, 4.0]})
    cb = es_total_sensitivity(lulc, s, subtract=d)
    assert cb.loc[1, "y0"] == pytest.approx(-50) and cb.loc[1, "cs_plus"] == pytest.approx(-1.0)
    assert cb.loc[1, "elastic"]


def test_zero_total_warns():
    with pytest.warns(ConstantInputWarning):
        cs = sensitivity_coefficients(lambda t: 0.0, pd.DataFrame({"v": [1.0]}))
    assert np.isnan(cs["cs_plus"].iloc[0])
