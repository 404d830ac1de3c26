"""The embedded synthetic demo region (no download) used by examples, tests, the demo and benchmarks.

>>> import restoreplan as rp
>>> region = rp.datasets.demo_region(size=500, seed=0)   # doctest: +SKIP
>>> region.layers["lulc"][2020], region.vectors["roads"], region.series("ndvi")  # doctest: +SKIP

All data are SYNTHETIC: a plausible hilly county of central China, generated from the seed alone.
"""

from .dashihe import DashiheData
from .dashihe import dashihe as dashihe  # the Dashihe study example data (the function shadows its module)
from .demo import DemoRegion, demo_grid, demo_region, demo_region_lazy
from .examples import marxan_example
from .fields import CLASSES, YEARS
from . import wuhan  # registers the Wuhan bundle's legend and code mapping

__all__ = ["CLASSES", "YEARS", "DashiheData", "DemoRegion", "dashihe", "demo_grid", "demo_region",
           "demo_region_lazy", "marxan_example", "wuhan"]
