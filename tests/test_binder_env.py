"""The repo2docker files in binder/ must describe the same environment as pyproject.toml.

Binder and JupyterHub images are built by repo2docker from `binder/`, never from
pyproject.toml, so the two lists drift silently unless a test compares them. A drift in
the widget stack (ipywidgets 8 needs jupyterlab_widgets 3) is exactly what shows up in a
workshop as "Error displaying widget: model not found".
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

# Extras whose packages the hub image also carries, by package name: Voila serves the
# instructor playground as an app. Everything else in binder/ must come from pyproject.
EXTRA_PACKAGES_FOR_HUBS = {"dev": {"voila"}}
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


def test_every_runtime_dependency_is_in_binder_with_the_same_range(project, binder_requirements):
    runtime = _by_name(project["dependencies"])
    missing = sorted(set(runtime) - set(binder_requirements))
    assert not missing, f"binder/requirements.txt lacks pyproject dependencies: {missing}"
    for name, requirement in runtime.items():
        in_binder = binder_requirements[name]
        assert in_binder.specifier == requirement.specifier, (
            f"{name}: pyproject.toml says {str(requirement.specifier)!r} "
            f"but binder/requirements.txt says {str(in_binder.specifier)!r}"
        )
        assert in_binder.marker == requirement.marker and in_binder.extras == requirement.extras, name


def test_binder_lists_nothing_that_pyproject_does_not(project, binder_requirements):
    runtime = _by_name(project["dependencies"])
    extras = {
        extra: _by_name(lines) for extra, lines in project.get("optional-dependencies", {}).items()
    }
    allowed = dict(runtime)
    for extra, names in EXTRA_PACKAGES_FOR_HUBS.items():
        for name in names:
            name = canonicalize_name(name)
            assert name in extras.get(extra, {}), (
                f"{name} is expected in pyproject's [{extra}] extra (binder/ installs it for hubs)"
            )
            allowed[name] = extras[extra][name]
    unexpected = sorted(set(binder_requirements) - set(allowed))
    assert not unexpected, f"binder/requirements.txt lists packages pyproject.toml does not: {unexpected}"
    for name, requirement in allowed.items():
        assert binder_requirements[name].specifier == requirement.specifier, (
            f"{name}: pyproject.toml says {str(requirement.specifier)!r} but binder says "
            f"{str(binder_requirements[name].specifier)!r}"
        )


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
