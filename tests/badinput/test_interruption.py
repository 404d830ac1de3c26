"""SIGTERM and SIGINT during a run: non-zero exit, a one-line message, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from .conftest import snapshot, write_tif

STUDY = '''
[study]
name = "slow"

[layers.lulc]
kind = "categorical"
path = "lulc.tif"

[[steps]]
id = "carbon"
method = "carbon"
inputs = { lulc = "lulc", pools = "package:carbon_pools_6class" }

[[steps]]
id = "dist"
method = "distance_to_classes"
inputs = { lulc = "lulc" }
params = { classes = [5] }

[[steps]]
id = "areas"
method = "class_area"
inputs = { lulc = "lulc" }
'''


@pytest.fixture(scope="module")
def slow_study(tmp_path_factory):
    d = tmp_path_factory.mktemp("slow")
    rng = np.random.default_rng(0)
    arr = rng.integers(1, 7, (2500, 2500)).astype(np.uint8)
    write_tif(d / "lulc.tif", arr, nodata=255)
    (d / "study.toml").write_text(STUDY)
    return d


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "sigint"])
def test_signal_during_run_leaves_nothing(slow_study, tmp_path, sig, code):
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(work)
    proc = subprocess.Popen([sys.executable, "-m", "restoreplan", "run", str(slow_study / "study.toml"),
                             "--out", str(work / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.perf_counter()
    while not any(p.name.startswith(".out.tmp-") for p in work.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.perf_counter() - t0 < 120
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err[-2000:]
    assert "Traceback" not in err and "interrupted by" in err and "nothing was written" in err
    assert snapshot(work) == before, sorted(snapshot(work))


@pytest.mark.realdata
def test_sigterm_during_a_highs_solve(tmp_path, marxan_anchors):
    """HiGHS runs in a C++ thread; SIGTERM still ends the command at once with 143 and no output."""
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "restoreplan", "marxan",
                             str(marxan_anchors / "tasmania_prioritizr" / "input.dat"), "--solver", "highs",
                             "--gap", "0", "--out", str(work / "o")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    # wait until the solve is under way: 5 s of CPU time (start-up, reading and compiling take ~3 s)
    tick = os.sysconf("SC_CLK_TCK")
    t0 = time.perf_counter()
    while True:
        assert proc.poll() is None, proc.communicate()
        fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / tick >= 5.0:
            break
        assert time.perf_counter() - t0 < 180
        time.sleep(0.1)
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err[-2000:]
    assert time.perf_counter() - t0 < 20
    assert "Traceback" not in err and "terminate called" not in err and "interrupted by SIGTERM" in err
    assert list(work.iterdir()) == []
