"""A real ``jupyter lab`` and a headless Chromium, for the browser tests.

The lab runs in a subprocess with its own runtime, data and config directories
(so no user workspace, setting or stray server of the machine leaks in), the
beaker_server server extension enabled through config, and the lab extension
built from this checkout. Chromium is Debian's: the tests never download one.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .jupyter_process import ROOT, free_port, stop_process, wait_until_answers

DEMO_NOTEBOOK = ROOT / "demo" / "custom-messages.ipynb"
LABEXTENSION_NAME = "beaker-server"
LABEXTENSION_BUILD = ROOT / "beaker_server" / "labextension"
ARTIFACTS = ROOT / "test-artifacts"

CHROMIUM = os.environ.get("BEAKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class JupyterLabProcess:
    """Start and stop one ``jupyter lab`` serving ``workdir/notebooks``."""

    def __init__(self, workdir: Path, *, config: dict[str, Any] | None = None) -> None:
        self.workdir = workdir
        self.root_dir = workdir / "notebooks"
        self.root_dir.mkdir()
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "lab.log"
        self.config_dir = workdir / "config"
        self.data_dir = workdir / "data"
        self.runtime_dir = workdir / "runtime"
        self.jupyter_path = workdir / "jupyter_path"
        self.process: subprocess.Popen[bytes] | None = None

        server_config: dict[str, Any] = {
            "ServerApp": {
                "jpserver_extensions": {"beaker_server": True},
                "root_dir": str(self.root_dir),
                "ip": "127.0.0.1",
                "port": self.port,
                "port_retries": 0,
                "open_browser": False,
                "allow_root": True,
            },
            "IdentityProvider": {"token": self.token},
            "LabApp": {
                "expose_app_in_browser": True,
                # No request to the internet from the server side.
                "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            },
        }
        for section, values in (config or {}).items():
            server_config.setdefault(section, {}).update(values)
        self.config_dir.mkdir()
        (self.config_dir / "jupyter_server_config.json").write_text(json.dumps(server_config))
        # The announcements plugin asks (in a toast) whether to fetch news;
        # nothing of it is under test, and the toast would sit on screenshots.
        labconfig = self.config_dir / "labconfig"
        labconfig.mkdir()
        (labconfig / "page_config.json").write_text(
            json.dumps(
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
            )
        )
        # Make JupyterLab find the lab extension of this checkout whether or not
        # `jupyter labextension develop` has linked it into the environment:
        # JUPYTER_PATH comes first in the search path, and a second copy of the
        # same extension further down is ignored.
        labextensions = self.jupyter_path / "labextensions"
        labextensions.mkdir(parents=True)
        (labextensions / LABEXTENSION_NAME).symlink_to(LABEXTENSION_BUILD, target_is_directory=True)

    def add_notebook(self, source: Path, name: str | None = None) -> str:
        """Copy a notebook into the root dir; returns its path for URLs."""
        target = self.root_dir / (name or source.name)
        shutil.copyfile(source, target)
        return target.name

    def url(self, path: str) -> str:
        """An absolute URL with the token, e.g. ``url("lab/tree/a.ipynb")``."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def start(self, timeout: float = 60.0) -> JupyterLabProcess:
        if not (LABEXTENSION_BUILD / "package.json").exists():
            raise RuntimeError(
                f"the lab extension is not built ({LABEXTENSION_BUILD}): run `make lab-build`"
            )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(self.jupyter_path), env.get("JUPYTER_PATH")])
        )
        # Own user-level dirs: no user settings, workspaces or runtime files of
        # the machine. JupyterLab's app dir (<sys.prefix>/share/jupyter/lab) and
        # the environment's python3 kernelspec are found through sys.prefix,
        # which these variables do not hide.
        env["JUPYTER_CONFIG_DIR"] = str(self.config_dir)
        env["JUPYTER_DATA_DIR"] = str(self.data_dir)
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime_dir)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyterlab",
                    "--no-browser",
                    "--LabApp.expose_app_in_browser=True",
                ],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_answers(
                self.process,
                lambda: self.rest("GET", "/api/status"),
                "jupyter lab",
                self.log,
                timeout,
            )
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        stop_process(self.process, lambda: self.rest("POST", "/api/shutdown"))
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None


@contextlib.contextmanager
def chromium(**launch: Any):
    """A headless Debian Chromium driven by Playwright (sync API)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **launch
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- Shared pieces for browser test modules ----------------------------------
#
# A module imports the fixtures it uses by name, e.g.
# ``from .browser import chromium_browser, jp_asyncio_loop, jp_server_cleanup``.


@pytest.fixture
def jp_asyncio_loop() -> None:
    """No-op replacement for pytest-jupyter's loop fixture.

    pytest-jupyter's autouse fixtures take the thread's current event loop for
    each test and close it afterwards. While Playwright's sync API is open, that
    loop is Playwright's own (running) loop: closing it fails the teardown and
    would break the browser. Browser tests use no in-process server.
    """
    return None


@pytest.fixture
def jp_server_cleanup() -> None:
    """No-op replacement for pytest-jupyter's cleanup fixture (see above)."""
    return None


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    with chromium() as instance:
        yield instance


PYTHON_KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}


def write_notebook(root_dir: Path, name: str, cells: list[str]) -> str:
    """Write a notebook of code ``cells`` (python3 kernel); returns its path for URLs."""
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={"kernelspec": PYTHON_KERNELSPEC},
    )
    nbformat.write(notebook, root_dir / name)
    return name


def notebook_panel_js(path: str) -> str:
    """A page expression for the notebook panel of ``path`` in the main area."""
    return (
        "[...window.jupyterapp.shell.widgets('main')]"
        f".find(w => w.context?.path === {json.dumps(path)})"
    )


def notebook_kernel_js(path: str) -> str:
    """A page expression for the kernel connection of the notebook ``path``."""
    return f"{notebook_panel_js(path)}?.sessionContext.session?.kernel"


def wait_notebook_idle(page: Any, path: str) -> None:
    """Wait until the notebook ``path`` is open and its kernel is idle."""
    page.wait_for_function(f"() => {notebook_kernel_js(path)}?.status === 'idle'")


def open_notebook_page(page: Any, lab: JupyterLabProcess, path: str) -> None:
    """Load JupyterLab on the notebook ``path`` and wait for its kernel."""
    page.goto(lab.url(f"lab/tree/{path}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
    wait_notebook_idle(page, path)


def open_notebook_in_lab(page: Any, path: str) -> None:
    """Open (or show) the notebook ``path`` in the running lab; wait for its kernel."""
    page.evaluate(
        "async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }",
        path,
    )
    wait_notebook_idle(page, path)
    page.evaluate(f"() => window.jupyterapp.shell.activateById({notebook_panel_js(path)}.id)")


def run_all_cells(page: Any, path: str) -> list[str]:
    """Run every cell of the notebook ``path`` (shown first); the outputs' texts, per cell."""
    panel = notebook_panel_js(path)
    page.evaluate(f"() => window.jupyterapp.shell.activateById({panel}.id)")
    page.wait_for_function(f"() => window.jupyterapp.shell.currentWidget === {panel}")
    page.evaluate(
        """async () => {
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }"""
    )
    # Every code cell has an execution count and the kernel is idle again.
    page.wait_for_function(
        f"""() => {{
            const panel = {panel};
            const cells = [...panel.content.widgets].filter(c => c.model.type === 'code');
            return cells.every(c => c.model.executionCount !== null)
                && panel.sessionContext.session?.kernel?.status === 'idle';
        }}"""
    )
    return page.evaluate(
        f"""() => [...{panel}.content.widgets]
            .filter(c => c.model.type === 'code')
            .map(c => c.outputArea.node.innerText)"""
    )


def widen_right_sidebar(page: Any, panel_selector: str, width: int) -> None:
    """Drag the right sidebar's split handle until ``panel_selector`` is ``width`` px wide."""
    panel = page.locator(panel_selector)
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)").last
    box = handle.bounding_box()
    current = panel.bounding_box()
    if box is None or current is None or width <= current["width"]:
        return
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - (width - current["width"]), y, steps=5)
    page.mouse.up()
