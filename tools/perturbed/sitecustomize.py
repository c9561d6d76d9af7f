"""Run the course with every random draw of minigrad moved by a few units in its last digit.

For the robustness check of the lessons' prose (``make test-perturbed``): with this folder on
``PYTHONPATH``, every Python process (pytest, and each notebook's kernel) imports it at start,
and once ``minigrad`` has been imported (not before: importing it here would change what a
process loads), every initial weight a layer draws (``minigrad.nn.init``) and every tensor from
``minigrad.randn`` / ``minigrad.rand`` (the recurrent network's weights, the synthetic data) is
multiplied by ``1 + k * eps`` with ``k`` in -3..3 and ``eps`` its dtype's rounding unit (about
2e-16 relative for float64, 1e-7 for float32): a difference as small as a change of processor
or summation order makes. ``k`` is a function of the value itself, so the same seed still
gives the same weights, as code that compares two runs of one seed expects.
"""
import importlib.abc
import importlib.util
import sys


class _InstallAfterMinigrad(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it lets the usual finder find ``minigrad`` and runs ``install`` after it loads."""

    def find_spec(self, name, path=None, target=None):
        if name != "minigrad":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None:
            load = spec.loader.exec_module

            def load_then_install(module):
                load(module)
                from jitter import install
                install()
            spec.loader.exec_module = load_then_install
        return spec


sys.meta_path.insert(0, _InstallAfterMinigrad())
