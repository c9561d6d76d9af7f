"""A workshop on a real JupyterHub, measured: participants log in, start a server, run a lesson.

Run from the repository root::

    .venv/bin/python benchmarks/bench_hub.py                      # 8 participants, lesson 07
    .venv/bin/python benchmarks/bench_hub.py --participants 4 --lesson 00_welcome

It starts JupyterHub (from PyPI, with the Python configurable-http-proxy) on 127.0.0.1 only,
with the dummy authenticator and the simple local-process spawner, in a temporary folder that
it deletes afterwards. Each participant gets a home holding the handout (``make handout``), is
created through the hub's REST API, starts a server, opens a kernel through the server's REST API
and runs every code cell of the lesson over the kernel's websocket, as JupyterLab's "Run All"
does, all participants at once; ``--browsers`` of them (default 2) instead log in through the
hub's form in Chromium, open the lesson in JupyterLab and press Run All, and count as done when
every widget has rendered on the page (their "lesson s" includes loading JupyterLab). Per participant it reports the time to spawn the server, the time
from the kernel's start to the first widget, the time to run the lesson, the kernel's peak
memory (RSS) and CPU time, the server's memory, and any error; then what that means for a room:
CPU-seconds and memory per participant, and the sizing formula the README quotes. Everything is
bounded in time (``--timeout``) and stopped at the end, also after an error or Ctrl-C.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import make_handout  # noqa: E402
from browser_servers import free_loopback_port  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

HUB_CONFIG = """\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--ServerApp.allow_root=True",  # CI containers run as root
                  "--LabApp.expose_app_in_browser=True"]  # the browser participants run Run All as a user would
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {timeout}
c.Spawner.http_timeout = {timeout}
c.JupyterHub.db_url = "sqlite:///{workdir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/cookie_secret"
c.JupyterHub.pid_file = "{workdir}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "bench", "services": ["bench"],
                             "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}}]
"""


@dataclass
class Participant:
    """What one participant's session measured (seconds, MB)."""

    name: str
    browser: bool = False  # logged in and ran the lesson in Chromium (else over the kernel's websocket)
    spawn_s: float = float("nan")
    first_widget_s: float = float("nan")
    lesson_s: float = float("nan")
    kernel_rss_mb: float = float("nan")
    kernel_cpu_s: float = float("nan")
    server_rss_mb: float = float("nan")
    cells: int = 0
    widgets: int = 0
    errors: list = field(default_factory=list)


class Hub:
    """JupyterHub in ``workdir``, on the loopback address, driven through its REST API."""

    def __init__(self, workdir: Path, timeout: float):
        self.workdir, self.timeout = workdir, timeout
        self.port, self.token = free_loopback_port(), secrets.token_hex(24)
        self.homes = workdir / "home"
        self.homes.mkdir(parents=True)
        config = HUB_CONFIG.format(port=self.port, hub_port=free_loopback_port(), proxy_api_port=free_loopback_port(),
                                   proxy=str(BIN / "configurable-http-proxy"), homes=str(self.homes),
                                   singleuser=str(BIN / "jupyterhub-singleuser"), timeout=int(timeout),
                                   workdir=str(workdir), token=self.token)
        (workdir / "jupyterhub_config.py").write_text(config)
        self.log = open(workdir / "jupyterhub.log", "w")
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(workdir / "jupyterhub_config.py")],
                                        cwd=workdir, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines=30) -> str:
        self.log.flush()
        return "\n".join((self.workdir / "jupyterhub.log").read_text(errors="replace").splitlines()[-lines:])

    async def request(self, method, url, body=None, token=None, timeout=30.0):
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest

        request = HTTPRequest(url if url.startswith("http") else f"{self.base}/hub/api/{url}", method=method,
                              headers={"Authorization": f"token {token or self.token}"},
                              body=None if body is None and method == "GET" else json.dumps(body or {}),
                              request_timeout=timeout, allow_nonstandard_methods=True)
        response = await AsyncHTTPClient().fetch(request, raise_error=True)
        return json.loads(response.body) if response.body else None

    async def wait_until_up(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                await self.request("GET", "", timeout=5)
                return
            except Exception:  # noqa: BLE001 - not up yet
                await asyncio.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer within {self.timeout:.0f} s:\n{self.log_tail()}")

    def stop(self):
        """Stop the hub (it stops the servers it spawned), then anything left of its process tree."""
        try:
            tree = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for child in tree:  # spawned servers and kernels live in their own sessions
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(tree, timeout=10)
        self.log.close()


def _message(msg_type, content, session, channel="shell"):
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session, "username": "bench",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}


def _kernel_process(kernel_id):
    for process in psutil.process_iter(["cmdline"]):
        if any(f"kernel-{kernel_id}" in part for part in process.info["cmdline"] or ()):
            return process
    return None


async def run_participant(hub: Hub, name: str, lesson: str, result: Participant, deadline: float):
    """Log in (create the user), start the server, run every code cell of ``lesson`` in a kernel."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    started = time.perf_counter()
    await hub.request("POST", f"users/{name}")
    await hub.request("POST", f"users/{name}/server", timeout=hub.timeout)
    while not ((await hub.request("GET", f"users/{name}"))["servers"].get("", {}).get("ready")):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}'s server did not start")
        await asyncio.sleep(0.25)
    result.spawn_s = time.perf_counter() - started
    token = (await hub.request("POST", f"users/{name}/tokens", {"expires_in": 3600}))["token"]
    if result.browser:
        await asyncio.to_thread(run_in_browser, hub, name, lesson, result, deadline)
        kernels = await hub.request("GET", f"{hub.base}/user/{name}/api/kernels", token=token)
        _measure(hub, name, kernels[0]["id"] if kernels else None, result, 0)
        return
    server = f"{hub.base}/user/{name}"
    cells = [cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
             for cell in json.loads((hub.homes / name / f"{lesson}.ipynb").read_text())["cells"]
             if cell["cell_type"] == "code"]
    kernel_started = time.perf_counter()
    kernel = await hub.request("POST", f"{server}/api/kernels", {"name": "python3"}, token=token)
    socket_url = f"ws://127.0.0.1:{hub.port}/user/{name}/api/kernels/{kernel['id']}/channels"
    connection = await websocket_connect(HTTPRequest(socket_url, headers={"Authorization": f"token {token}"}))
    session = uuid.uuid4().hex
    process = None
    peak_rss = 0
    try:
        for source in cells:
            request = _message("execute_request", {"code": source, "silent": False, "store_history": True,
                                                   "user_expressions": {}, "allow_stdin": False,
                                                   "stop_on_error": True}, session)
            await connection.write_message(json.dumps(request))
            replied = idle = False
            while not (replied and idle):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{name}: the lesson did not finish in time")
                raw = await asyncio.wait_for(connection.read_message(), remaining)
                if raw is None:
                    raise ConnectionError(f"{name}: the kernel's websocket closed")
                if isinstance(raw, bytes):
                    continue  # a binary frame (a widget's buffers)
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != request["header"]["msg_id"]:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind in ("display_data", "execute_result") and WIDGET_VIEW in content.get("data", {}):
                    result.widgets += 1
                    if result.widgets == 1:
                        result.first_widget_s = time.perf_counter() - kernel_started
                elif kind == "error":
                    result.errors.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "execute_reply":
                    replied = True
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
            result.cells += 1
            process = process or _kernel_process(kernel["id"])
            if process is not None:
                peak_rss = max(peak_rss, process.memory_info().rss)
            if result.errors:
                break
        result.lesson_s = time.perf_counter() - kernel_started
        _measure(hub, name, kernel["id"], result, peak_rss)
    finally:
        connection.close()


def _measure(hub, name, kernel_id, result, peak_rss):
    """The kernel's memory (its peak, where sampled) and CPU time, and the server's memory."""
    process = _kernel_process(kernel_id) if kernel_id else None
    if process is not None:
        result.kernel_rss_mb = max(peak_rss, process.memory_info().rss) / 2**20
        times = process.cpu_times()
        result.kernel_cpu_s = times.user + times.system + times.children_user + times.children_system
    server_process = next((p for p in psutil.Process(hub.process.pid).children(recursive=True)
                           if "jupyterhub-singleuser" in " ".join(p.cmdline())
                           and p.environ().get("JUPYTERHUB_USER") == name), None)
    if server_process is not None:
        result.server_rss_mb = server_process.memory_info().rss / 2**20


def run_in_browser(hub, name, lesson, result, deadline):
    """Log in through the hub's form in Chromium, open the lesson in JupyterLab, Run All, and wait
    until every widget has rendered (the browser tests' own steps: tests/browser/browser_pages.py)."""
    from browser_pages import LabNotebook
    from conftest import CHROMIUM_ARGS, VIEWPORT, find_chromium
    from playwright.sync_api import sync_playwright

    class UserServer:  # what LabNotebook asks of a server: its pages' addresses
        def url(self, path="", **query):
            return f"{hub.base}/user/{name}/{path.lstrip('/')}"

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(max(1.0, deadline - time.monotonic()) * 1000)
            page.goto(f"{hub.base}/hub/login")
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", "workshop")  # the dummy authenticator takes any password
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url("**/user/**")
            started = time.perf_counter()
            notebook = LabNotebook(page, UserServer(), f"{lesson}.ipynb").open()
            notebook.run_all(timeout=max(1.0, deadline - time.monotonic()))
            result.lesson_s = time.perf_counter() - started
            result.widgets = notebook.wait_for_widgets()
            result.cells = sum(cell["count"] is not None for cell in notebook.report())
        finally:
            chromium.close()


async def run_workshop(participants: int, lesson: str, timeout: float, workdir: Path,
                       browsers: int = 0) -> list[Participant]:
    hub = Hub(workdir, timeout)
    try:
        await hub.wait_until_up()
        handout = make_handout.write_handout(workdir / "handout")
        names = [f"participant{i + 1}" for i in range(participants)]
        for name in names:  # what nbgitpuller's link would have put there
            shutil.copytree(handout, hub.homes / name)
        results = [Participant(name, browser=i < browsers) for i, name in enumerate(names)]
        deadline = time.monotonic() + timeout
        outcomes = await asyncio.gather(*(run_participant(hub, name, lesson, result, deadline)
                                          for name, result in zip(names, results)), return_exceptions=True)
        for result, outcome in zip(results, outcomes):
            if isinstance(outcome, BaseException):
                result.errors.append(f"{type(outcome).__name__}: {outcome}")
        return results
    finally:
        hub.stop()


def workshop(participants: int = 8, lesson: str = "07_batch_size", timeout: float = 600.0,
             workdir: Path | None = None, browsers: int = 0) -> list[Participant]:
    """Run the workshop in ``workdir`` (default: a temporary folder, deleted afterwards); one
    Participant per participant. Its event loop runs on a thread of its own, so that a caller with
    a loop already running (a notebook, a test runner) can call it too."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="bench-hub-") as scratch:
            return workshop(participants, lesson, timeout, Path(scratch), browsers)
    outcome = {}

    def run():
        try:
            outcome["results"] = asyncio.run(run_workshop(participants, lesson, timeout, Path(workdir), browsers))
        except BaseException as error:  # noqa: BLE001 - raised again on the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="bench-hub")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["results"]


def report(results: list[Participant], lesson: str) -> str:
    lines = [f"{'participant':<20} {'spawn s':>8} {'1st widget s':>12} {'lesson s':>9} {'kernel MB':>10} "
             f"{'kernel CPU s':>12} {'server MB':>10}  errors"]
    for r in results:
        lines.append(f"{r.name + (' (browser)' if r.browser else ''):<20} {r.spawn_s:8.1f} {r.first_widget_s:12.1f} {r.lesson_s:9.1f} "
                     f"{r.kernel_rss_mb:10.0f} {r.kernel_cpu_s:12.1f} {r.server_rss_mb:10.0f}  "
                     f"{'; '.join(r.errors) or '-'}")
    ok = [r for r in results if not r.errors]
    if ok:
        cpu = statistics.median(r.kernel_cpu_s for r in ok)
        kernel, server = (statistics.median(getattr(r, name) for r in ok) for name in ("kernel_rss_mb", "server_rss_mb"))
        lines += ["", f"{len(results)} participants at once on {os.cpu_count()} cores ({_processor()}), lesson "
                      f"{lesson}: per participant a median {cpu:.1f} CPU-s, a kernel of {kernel:.0f} MB and a "
                      f"server of {server:.0f} MB; the last participant finished the lesson after "
                      f"{max(r.lesson_s for r in ok):.0f} s",
                  f"capacity: {60 / cpu:.1f} participants per core (the lesson run within a minute), "
                  f"{1024 / (server + 2 * kernel):.1f} per GB (two kernels open each)",
                  "sizing: cores = participants x CPU-s per lesson / seconds the room may take to run it; "
                  f"memory = participants x ({server:.0f} MB + kernels each keeps open x {kernel:.0f} MB) + the hub"]
    return "\n".join(lines)


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown processor"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=8)
    parser.add_argument("--lesson", default="07_batch_size", help="a lesson notebook's name, without .ipynb")
    parser.add_argument("--browsers", type=int, default=2,
                        help="how many of the participants log in and run the lesson in Chromium (0: none)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole run, at most")
    args = parser.parse_args(argv)
    results = workshop(args.participants, args.lesson, args.timeout, browsers=min(args.browsers, args.participants))
    print(report(results, args.lesson))
    return 0 if all(not r.errors for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
