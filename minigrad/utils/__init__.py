"""Utilities that are not layers: data loading (``minigrad.utils.data``), atomic files (``files``)."""
from . import data, files

__all__ = ["data", "files"]
