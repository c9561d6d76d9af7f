"""benchmarks/bench_gpu.py: it skips cleanly without a GPU, and its steps run on the strict CuPy stand-in."""
import importlib.util
import pathlib
import subprocess
import sys

import pytest

import minigrad as mg

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(mg.cuda_is_available(), reason="checks the message shown where there is no GPU")
def test_without_a_gpu_it_says_why_and_exits_0():
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "bench_gpu skipped" in run.stdout and "pip install" in run.stdout


def test_every_step_runs_on_the_device_and_prints_a_row(strict_cuda, monkeypatch, capsys):
    bench = load_bench()
    tiny = dict(vocab_size=40, block_size=8, n_layer=1, n_head=2, n_embd=16)  # the shapes, not the sizes
    monkeypatch.setattr(bench, "GPT2_SMALL", tiny)
    monkeypatch.setattr(bench, "case_study_config", lambda: tiny)
    monkeypatch.setattr(bench, "torch_cuda", lambda: None)
    assert bench.main(["--repeats", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [r.split()[0] for r in rows[-3:]] == ["MLP", "case-study", "GPT-2-small"]
    assert all(float(r.split()[-1].replace(",", "")) > 0 for r in rows[-3:])
