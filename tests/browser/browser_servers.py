"""Start and stop JupyterLab and Voilà for the browser tests: loopback only, bounded waits.

Each server runs from this virtual environment (``sys.executable -m jupyter lab`` /
``-m voila``) on a free port of 127.0.0.1 with a random token, in its own process group,
with temporary Jupyter runtime/config/data/settings directories so that nothing from the
user's own Jupyter set-up (kernels, extensions, workspaces, settings) leaks in, and
nothing the tests do leaks out. Logs go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"

# JupyterLab settings for an unattended browser: no autosave (the tests must never write
# the course's notebooks), every cell in the DOM (windowing off), no news/update popups,
# no extension manager talking to a package index.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

START_TIMEOUT_S = 120  # a cold start on a busy 2-core machine takes 10-30 s
STOP_TIMEOUT_S = 15


def free_loopback_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_jupyter_env(home: Path, settings: dict = LAB_SETTINGS) -> dict:
    """Environment variables that give a server its own, empty Jupyter directories under ``home``,
    with ``settings`` as the user's JupyterLab settings."""
    dirs = {name: home / name for name in ("runtime", "config", "data", "settings", "workspaces", "ipython")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for plugin, values in settings.items():
        package, name = plugin.rsplit("/", 1)
        target = dirs["settings"] / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),  # hides user-level kernels and extensions; sys.prefix's stay
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env


def _children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("PPid:") and int(line.split()[1]) == pid:
                children.append(int(status.parent.name))
                break
    return children


class ServerProcess:
    """A Jupyter server (JupyterLab or Voilà) started by the tests, stopped by them."""

    def __init__(self, name: str, argv: list[str], *, port: int, token: str, env: dict, log_path: Path):
        self.name, self.port, self.token = name, port, token
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "w")
        # Own process group and session: a Ctrl-C in the terminal goes to pytest, which
        # then stops the server cleanly instead of leaving it half-killed.
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def url(self, path: str = "", **query) -> str:
        query = {"token": self.token, **query}
        params = "&".join(f"{key}={value}" if value is not None else key for key, value in query.items())
        return f"{self.base_url}/{path.lstrip('/')}?{params}"

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_until_ready(self, probe_path: str, timeout: float = START_TIMEOUT_S) -> None:
        """Poll ``probe_path`` until it answers 200; raise with the log tail if the server dies or stalls."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode} while starting:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url(probe_path), timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                last_error = error
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not answer on {self.base_url} within {timeout:.0f} s "
                           f"(last error: {last_error}):\n{self.log_tail()}")

    def request(self, method: str, path: str, timeout: float = 10):
        request = urllib.request.Request(self.url(path), method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def stop(self, shutdown_path: str | None = None) -> None:
        """Stop the server and every kernel it started; never waits without a bound."""
        if self.process.poll() is None:
            kernels = _children_of(self.process.pid)
            if shutdown_path is not None:
                try:
                    self.request("POST", shutdown_path, timeout=5)
                except Exception:  # noqa: BLE001 - falling back to signals below
                    pass
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S if shutdown_path else 0.1)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    self.process.wait(timeout=STOP_TIMEOUT_S)
            # Kernels run in their own sessions: end any the server did not shut down.
            for pid in kernels:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._log.close()

    def _signal(self, signum) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def start_lab(home: Path, root: Path = ROOT, *, overrides: Path | None = None,
              settings: dict = LAB_SETTINGS, log_name: str = "jupyterlab.log") -> ServerProcess:
    """JupyterLab from this environment, serving ``root`` (the repository, as the README's ``make lab``
    does). ``overrides``: a settings overrides file used instead of this environment's own (as an
    image installs one); ``settings``: the user's settings."""
    port, token = free_loopback_port(), secrets.token_hex(24)
    argv = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",  # CI containers run as root
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands like a user would
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if overrides is not None:
        app_settings = home / "app-settings"
        app_settings.mkdir(parents=True, exist_ok=True)
        (app_settings / "overrides.json").write_text(overrides.read_text())
        argv.append(f"--LabApp.app_settings_dir={app_settings}")
    server = ServerProcess("JupyterLab", argv, port=port, token=token, env=isolated_jupyter_env(home, settings),
                           log_path=ARTIFACTS / log_name)
    try:
        server.wait_until_ready("api/status")
    except BaseException:
        server.stop()
        raise
    return server


def start_voila(notebook: str, home: Path, *extra_args: str) -> ServerProcess:
    """Voilà serving one notebook as an app, the documented ``voila course/playground.ipynb``,
    started in the repository's root, so that it reads the root's ``voila.json`` (a preheated
    kernel kept ready: :func:`wait_until_preheated`); ``extra_args`` are added to its command line."""
    port, token = free_loopback_port(), secrets.token_hex(24)
    argv = [
        sys.executable, "-m", "voila", notebook,
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.token={token}",
        f"--Voila.root_dir={ROOT}",
        "--show_tracebacks=True",
        *extra_args,
    ]
    server = ServerProcess("Voila", argv, port=port, token=token, env=isolated_jupyter_env(home),
                           log_path=ARTIFACTS / "voila.log")
    try:
        # A static file that answers once the server is up, and proves that the widget
        # manager's extension is there to be served to the page.
        server.wait_until_ready("voila/labextensions/@jupyter-widgets/jupyterlab-manager/package.json")
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_preheated(server: ServerProcess, timeout: float = START_TIMEOUT_S):
    """Wait until a kernel that Voilà preheats has run the notebook up to the page's address:
    it then holds a connection to Voilà's own port, the socket on which it waits for a page
    (``voila.utils.wait_for_request``). Returns that kernel's ``psutil.Process``; raises with
    the log tail if none is ready in ``timeout``."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with code {server.process.returncode}:\n{server.log_tail()}")
        for kernel in psutil.Process(server.process.pid).children():
            try:
                connections = kernel.net_connections(kind="tcp")
            except psutil.NoSuchProcess:
                continue
            if any(c.raddr and c.raddr.port == server.port and c.status == psutil.CONN_ESTABLISHED
                   for c in connections):
                return kernel
        time.sleep(0.25)
    raise RuntimeError(f"no kernel of {server.name} was waiting for a page within {timeout:.0f} s:\n"
                       f"{server.log_tail()}")
