"""Input/output: rasters, vectors and tables, all written atomically."""

from .align import align, reproject
from .atomic import atomic_dir, atomic_path, check_out_dir
from .raster import class_counts, raster_info, read_raster, valid_mask, write_raster
from .vector import rasterize, read_points_csv, read_vector, write_csv, write_gpkg

__all__ = [
    "align", "reproject", "atomic_dir", "atomic_path", "check_out_dir", "class_counts", "raster_info", "read_raster",
    "valid_mask", "write_raster", "rasterize", "read_points_csv", "read_vector", "write_csv", "write_gpkg",
]
