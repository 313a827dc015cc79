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
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .jupyter_process import (
    ROOT,
    Config,
    JupyterProcess,
    merge_config,
    with_checkout_on_path,
)

DEMO_NOTEBOOK = ROOT / "demo" / "custom-messages.ipynb"
LABEXTENSION_NAME = "beaker-server"
LABEXTENSION_BUILD = ROOT / "beaker_server" / "labextension"
ARTIFACTS = ROOT / "test-artifacts"

#: Playwright's own timeout for each wait of a page, in ms: well inside the
#: timeouts of the browser tests.
STEP_TIMEOUT = 30_000

CHROMIUM = os.environ.get("BEAKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class JupyterLabProcess(JupyterProcess):
    """Start and stop one ``jupyter lab`` serving ``workdir/notebooks``."""

    name = "jupyter lab"
    rest_timeout = 30.0

    def __init__(self, workdir: Path, *, config: Config | None = None) -> None:
        super().__init__(workdir, "lab.log")
        self.root_dir = workdir / "notebooks"
        self.root_dir.mkdir()
        self.config_dir = workdir / "config"
        self.jupyter_path = workdir / "jupyter_path"

        server_config: Config = {
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
        self.config_dir.mkdir()
        (self.config_dir / "jupyter_server_config.json").write_text(
            json.dumps(merge_config(server_config, config))
        )
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

    def message_types(self) -> list[dict[str, Any]]:
        """The message types the server extension lists (its REST API)."""
        return self.rest("GET", "/beaker/api/message-types")["message_types"]

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--LabApp.expose_app_in_browser=True",
        ]

    def environment(self) -> dict[str, str]:
        """This checkout's packages and lab extension, and no user-level Jupyter dirs."""
        env = with_checkout_on_path(super().environment())
        env["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [str(self.jupyter_path), env.get("JUPYTER_PATH")])
        )
        # Own user-level dirs (config here, data and runtime as every
        # JupyterProcess): no user settings, workspaces or runtime files of the
        # machine. JupyterLab's app dir (<sys.prefix>/share/jupyter/lab) and the
        # environment's python3 kernelspec are found through sys.prefix, which
        # these variables do not hide.
        env["JUPYTER_CONFIG_DIR"] = str(self.config_dir)
        env.pop("JUPYTERLAB_SETTINGS_DIR", None)
        env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
        return env

    def start(self, timeout: float = 60.0) -> JupyterLabProcess:
        """Start the lab (the lab extension must be built) and wait until it answers."""
        if not (LABEXTENSION_BUILD / "package.json").exists():
            raise RuntimeError(
                f"the lab extension is not built ({LABEXTENSION_BUILD}): run `make lab-build`"
            )
        return super().start(timeout)


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


@contextlib.contextmanager
def screenshot_after(page: Any, name: str) -> Iterator[None]:
    """Save a screenshot of ``page`` as ``name`` when the block ends, however it ends."""
    try:
        yield
    finally:
        screenshot(page, name)


@contextlib.contextmanager
def new_page(browser: Any, width: int, height: int) -> Iterator[Any]:
    """A page in a new ``width`` x ``height`` context of ``browser``, its waits
    bounded by :data:`STEP_TIMEOUT`; the context is closed after."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.set_default_timeout(STEP_TIMEOUT)
        yield page
    finally:
        context.close()


def open_command_palette(page: Any, query: str) -> Any:
    """Open the command palette from the notebook's first cell and type ``query``;
    the palette's locator."""
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".jp-ModalCommandPalette")
    palette.locator("input").fill(query)
    return palette


def open_preview_panel(page: Any) -> None:
    """Show the Variables panel (the preview panel) and wait until it shows a state."""
    page.evaluate("() => window.jupyterapp.commands.execute('beaker-server:open-preview-panel')")
    page.wait_for_selector("#beaker-preview-panel .jp-BeakerPreview-state")


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
    """Drag the right sidebar's split handle until ``panel_selector`` is at least
    ``width`` px wide."""
    current = page.locator(panel_selector).bounding_box()
    if current is not None and width > current["width"]:
        resize_right_sidebar(page, panel_selector, width)


def resize_right_sidebar(page: Any, panel_selector: str, width: float) -> None:
    """Drag the right sidebar's split handle until ``panel_selector`` is ``width`` px wide."""
    panel = page.locator(panel_selector)
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)").last
    box = handle.bounding_box()
    current = panel.bounding_box()
    if box is None or current is None:
        return
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - (width - current["width"]), y, steps=5)
    page.mouse.up()
