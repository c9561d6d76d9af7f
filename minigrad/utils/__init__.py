"""Utilities that are not layers: data loading (``minigrad.utils.data``), atomic files (``files``),
argument checks (``checks``)."""
from . import checks, data, files

__all__ = ["checks", "data", "files"]
