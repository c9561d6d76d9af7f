"""deploy/: the hub recipes hold the numbers the load test measured, and the image installs the
kernel culling they rely on.

The figures come from the README's table (benchmarks/bench_hub.py's run): the Zero to JupyterHub
values and the TLJH limits must give every participant the server and one kernel as a guarantee
and the server and three kernels as a limit, and the CPU to run lesson 7 within a minute."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
yaml = pytest.importorskip("yaml")


def _measured():
    """(CPU-s per lesson, kernel MB, server MB) from the README's workshop table: the largest of its
    rows (participants over the websocket, participants in Chromium)."""
    rows = re.findall(r"^\|.*\| ([\d.]+) CPU-s \| (\d+) MB \| (\d+) MB \|$", (ROOT / "README.md").read_text(),
                      re.MULTILINE)
    assert len(rows) >= 2, "the README's 'How big a hub' table lost its rows"
    return tuple(max(float(row[k]) for row in rows) for k in range(3))


def _megabytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([MG])i?", str(quantity)).groups()
    return float(number) * (1024 if unit == "G" else 1)


def test_the_kubernetes_values_guarantee_and_cap_what_the_load_test_measured():
    cpu_s, kernel, server = _measured()
    values = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())
    user = values["singleuser"]
    assert _megabytes(user["memory"]["guarantee"]) >= server + kernel
    assert _megabytes(user["memory"]["limit"]) >= server + 3 * kernel
    assert float(user["cpu"]["guarantee"]) >= cpu_s / 60  # lesson 7 within a minute
    assert float(user["cpu"]["limit"]) >= float(user["cpu"]["guarantee"])
    assert values["prePuller"]["continuous"]["enabled"] and values["scheduling"]["userPlaceholder"]["enabled"]
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0
    assert "git-pull?" in user["defaultUrl"] and "branch=handout" in user["defaultUrl"]


def test_the_tljh_recipe_sets_the_same_limits():
    recipe = (DEPLOY / "README.md").read_text()
    values = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text())["singleuser"]
    assert f"tljh-config set limits.memory {values['memory']['limit']}" in recipe
    assert f"tljh-config set limits.cpu {values['cpu']['limit']}" in recipe
    assert "services.cull.timeout" in recipe and "git-pull?" in recipe


def test_the_image_culls_idle_kernels():
    config = json.loads((DEPLOY / "jupyter_server_config.d" / "minigrad-course.json").read_text())
    culling = config["MappingKernelManager"]
    assert culling["cull_idle_timeout"] > 0 and culling["cull_connected"] and not culling["cull_busy"]
    assert "deploy/jupyter_server_config.d/minigrad-course.json" in (ROOT / "binder" / "postBuild").read_text()


def test_jupyter_server_reads_the_culling_settings():
    """The file is in the form jupyter_server loads from a config.d folder (not only valid JSON)."""
    from traitlets.config.loader import JSONFileConfigLoader

    folder = DEPLOY / "jupyter_server_config.d"
    loaded = JSONFileConfigLoader("minigrad-course.json", str(folder)).load_config()
    expected = json.loads((folder / "minigrad-course.json").read_text())["MappingKernelManager"]
    assert {name: loaded.MappingKernelManager[name] for name in expected} == expected
