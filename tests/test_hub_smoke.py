"""The workshop path end to end on a real JupyterHub (benchmarks/bench_hub.py with 2 participants):
the hub starts on 127.0.0.1, two participants get servers, each runs lesson 0 through its kernel's
websocket and sees its widget, and everything is stopped afterwards. Timings are reported by the
benchmark, never asserted here."""
import importlib.util
import json
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("jupyterhub")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_hub", ROOT / "benchmarks" / "bench_hub.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_hub"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_two_participants_run_lesson_0_through_a_real_hub(tmp_path):
    bench = _bench()
    results = bench.workshop(2, "00_welcome", 240.0, workdir=tmp_path)  # its loop on its own thread
    code_cells = sum(cell["cell_type"] == "code"
                     for cell in json.loads((ROOT / "course" / "00_welcome.ipynb").read_text())["cells"])
    for result in results:
        assert result.errors == [], result.errors
        assert result.cells == code_cells and result.widgets >= 1, result
        assert result.spawn_s > 0 and result.kernel_rss_mb > 0 and result.server_rss_mb > 0, result
    assert "participant1" in bench.report(results, "00_welcome")
    leftover = [p.info for p in psutil.process_iter(["pid", "cmdline", "cwd"])
                if str(tmp_path) in " ".join(p.info["cmdline"] or ()) + " " + (p.info["cwd"] or "")]
    assert leftover == [], f"the hub, a server or a kernel outlived the run: {leftover}"
