"""The repo2docker files in binder/ must describe an environment pyproject.toml allows, pinned.

Binder and JupyterHub images are built by repo2docker from `binder/`, never from
pyproject.toml. `binder/requirements.txt` is a lock: every package of the image at one exact
version, resolved from pyproject.toml (its runtime dependencies and the [hub] extra) by
`make lock`, so that an image built the morning of a workshop is the one that was tested. These
tests check the lock against pyproject.toml: a drift in the widget stack (ipywidgets 8 needs
jupyterlab_widgets 3) is exactly what shows up in a workshop as "Error displaying widget".
"""

import ast
import re
import stat
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"

# The extra whose packages the hub image also carries (Voila serves the instructor playground).
HUB_EXTRA = "hub"
# Optional extras that must NOT reach a CPU-only hub image.
EXTRAS_NOT_ON_HUBS = {"gpu"}


def _load_toml(path: Path) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            return _parse_pyproject_subset(path.read_text())
    with path.open("rb") as f:
        return tomllib.load(f)


def _parse_pyproject_subset(text: str) -> dict:
    """Read just what this test needs from pyproject.toml, for Python 3.10 without tomli:
    `requires-python`, `dependencies` and the optional-dependency lists (arrays of strings)."""
    project: dict = {"optional-dependencies": {}}
    table = None
    lines = iter(text.splitlines())
    for line in lines:
        stripped = _strip_comment(line).strip()
        if stripped.startswith("["):
            table = stripped.strip("[]").strip()
            continue
        match = re.match(r'^([A-Za-z0-9_.\-"]+)\s*=\s*(.*)$', stripped)
        if not match or table not in ("project", "project.optional-dependencies"):
            continue
        key, value = match.group(1).strip('"'), match.group(2)
        while value.count("[") > value.count("]"):  # a multi-line array
            value += " " + _strip_comment(next(lines)).strip()
        parsed = ast.literal_eval(value.replace("true", "True").replace("false", "False"))
        if table == "project":
            project[key] = parsed
        else:
            project["optional-dependencies"][key] = parsed
    return {"project": project}


def _strip_comment(line: str) -> str:
    """Drop a TOML comment: a '#' outside double-quoted strings."""
    in_string = False
    for index, char in enumerate(line):
        if char == '"':
            in_string = not in_string
        elif char == "#" and not in_string:
            return line[:index]
    return line


def _requirements_file(path: Path) -> dict[str, Requirement]:
    """Parse a pip requirements file (only plain requirement lines are allowed)."""
    requirements = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("-"), (
            f"{path.name}:{number}: pip options ({line!r}) are not used here; "
            "the package itself is installed by binder/postBuild"
        )
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name not in requirements, f"{path.name}:{number}: {requirement.name} listed twice"
        requirements[name] = requirement
    return requirements


def _by_name(lines: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(Requirement(line).name): Requirement(line) for line in lines}


@pytest.fixture(scope="module")
def project() -> dict:
    return _load_toml(ROOT / "pyproject.toml")["project"]


@pytest.fixture(scope="module")
def binder_requirements() -> dict[str, Requirement]:
    path = BINDER / "requirements.txt"
    assert path.is_file(), "binder/requirements.txt is missing: repo2docker would build an empty image"
    return _requirements_file(path)


def _image_environment() -> dict:
    """The marker environment of the image: Linux, x86-64, binder/runtime.txt's Python."""
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    return {"python_version": version, "python_full_version": f"{version}.0", "sys_platform": "linux",
            "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def test_the_lock_pins_every_package_to_one_version(binder_requirements):
    loose = [str(r) for r in binder_requirements.values()
             if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    assert not loose, f"binder/requirements.txt must pin exact versions (run `make lock`): {loose}"
    assert len(binder_requirements) > 50, "the lock holds the whole environment, dependencies of dependencies too"


def test_the_lock_satisfies_every_runtime_and_hub_dependency(project, binder_requirements):
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"][HUB_EXTRA])
    environment = _image_environment()
    for line in wanted:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in binder_requirements, f"binder/requirements.txt lacks {name} (run `make lock`)"
        pinned = Version(str(next(iter(binder_requirements[name].specifier)).version))
        assert pinned in requirement.specifier, (
            f"{name}: the lock pins {pinned}, outside pyproject's {str(requirement.specifier)!r} (run `make lock`)")


def test_the_lock_was_made_by_make_lock_for_the_image_python():
    text = (BINDER / "requirements.txt").read_text()
    assert "#    make lock" in text.splitlines()[1], "binder/requirements.txt is written by `make lock`"
    makefile = (ROOT / "Makefile").read_text()
    assert "--python-version $(IMAGE_PYTHON)" in makefile and "binder/runtime.txt" in makefile


def test_the_image_gets_the_matplotlib_and_ipympl_that_mpl_compat_was_checked_against(project, binder_requirements):
    """coursekit/mpl_compat.py relies on matplotlib's and ipympl's internals as of the versions it
    names; pyproject's upper bounds stop at the next minor release, and the lock pins those versions."""
    from coursekit import mpl_compat

    runtime = _by_name(project["dependencies"])
    for name, checked in (("matplotlib", mpl_compat.CHECKED_MATPLOTLIB), ("ipympl", mpl_compat.CHECKED_IPYMPL)):
        pinned = Version(str(next(iter(binder_requirements[name].specifier)).version))
        assert pinned.release[:2] == checked, f"the image would get {name} {pinned}, mpl_compat checked {checked}"
        upper = [spec for spec in runtime[name].specifier if spec.operator == "<"]
        assert [str(spec) for spec in upper] == [f"<{checked[0]}.{checked[1] + 1}"], (
            f"pyproject.toml must keep {name} below the minor release after the one mpl_compat checked")


def test_gpu_only_packages_stay_out_of_the_hub_image(project, binder_requirements):
    for extra in EXTRAS_NOT_ON_HUBS:
        gpu_names = set(_by_name(project.get("optional-dependencies", {}).get(extra, [])))
        assert not gpu_names & set(binder_requirements), f"[{extra}] packages would break a CPU image"


def test_runtime_python_satisfies_requires_python(project):
    text = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", text)
    assert match, f"binder/runtime.txt must read like 'python-3.11', not {text!r}"
    assert Version(match.group(1)) in SpecifierSet(project["requires-python"]), (
        f"binder/runtime.txt asks for Python {match.group(1)} but pyproject requires "
        f"{project['requires-python']}"
    )


def test_post_build_installs_this_checkout_and_is_executable():
    post_build = BINDER / "postBuild"
    assert post_build.is_file(), "binder/postBuild is missing: minigrad and coursekit would not import"
    assert post_build.stat().st_mode & stat.S_IXUSR, "repo2docker only runs an executable postBuild"
    commands = [
        line.strip() for line in post_build.read_text().splitlines() if not line.strip().startswith("#")
    ]
    assert post_build.read_text().startswith("#!"), "postBuild needs a shebang line"
    assert any(re.search(r"pip install .*-e \.$", line) for line in commands), (
        "binder/postBuild must `pip install -e .` so minigrad and coursekit import on the hub"
    )


def test_no_competing_repo2docker_config_in_binder():
    # repo2docker uses environment.yml in preference to requirements.txt; one source of truth.
    competing = [name for name in ("environment.yml", "Pipfile", "setup.py") if (BINDER / name).exists()]
    assert not competing, f"binder/ also holds {competing}; repo2docker would ignore requirements.txt"


def test_fallback_pyproject_parser_agrees_with_tomllib():
    # The Python 3.10 fallback must read pyproject.toml exactly as tomllib does.
    tomllib = pytest.importorskip("tomllib")
    text = (ROOT / "pyproject.toml").read_text()
    expected = tomllib.loads(text)["project"]
    parsed = _parse_pyproject_subset(text)["project"]
    assert parsed["dependencies"] == expected["dependencies"]
    assert parsed["requires-python"] == expected["requires-python"]
    assert parsed["optional-dependencies"] == expected.get("optional-dependencies", {})
