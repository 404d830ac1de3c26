"""Core: errors, grids, validation, legends, provenance. Importing it registers the rioxarray ``.rio`` accessor."""

import rioxarray  # noqa: F401  (registers DataArray.rio)
