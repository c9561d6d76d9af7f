"""Utilities that are not layers: data loading (``minigrad.utils.data``)."""
from . import data

__all__ = ["data"]
