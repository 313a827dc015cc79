"""The Variables panel in a real JupyterLab and browser.

One ``jupyter lab`` and one headless Chromium per module; a notebook made here
(in the lab's root dir) is opened once and the tests run in file order on that
page. Two kinds of test:

- end to end: cells run in the notebook's kernel, the server pushes ``preview``
  iopub messages and answers ``preview_request``, the panel shows them;
- crafted: a preview made here is handed to the panel's model in the page
  (``model.applyPreview``), to check rendering, sanitizing, sorting and the
  states with exact data, whatever the server sends.

Nothing sleeps for a fixed time: each step waits for a selector or a page
condition, under a timeout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    ARTIFACTS,
    JupyterLabProcess,
    notebook_kernel_js,
    notebook_panel_js,
    open_command_palette,
    open_notebook_page,
    open_preview_panel,
    resize_right_sidebar,
    screenshot,
    wait_notebook_idle,
    widen_right_sidebar,
)

pytestmark = pytest.mark.timeout(90)

NOTEBOOK = "panel.ipynb"

# What the page's scripts see of the extension.
PANEL = "[...window.jupyterapp.shell.widgets('right')].find(w => w.id === 'beaker-preview-panel')"
MODEL = f"{PANEL}.model"
NOTEBOOK_PANEL = notebook_panel_js(NOTEBOOK)
KERNEL = notebook_kernel_js(NOTEBOOK)

ROW = "#beaker-preview-panel tr.jp-BeakerPreview-row"
STATE = "#beaker-preview-panel .jp-BeakerPreview-state"
DETAIL = "#beaker-preview-panel .jp-BeakerPreview-detail"

# HTML that runs code if it is rendered unsanitized: an event handler (runs
# as soon as the image fails to load) and a script (runs if the renderer
# treats the HTML as trusted).
EVIL_HTML = (
    "<img src=x onerror='window.__beaker_pwned=1'>"
    "<script>window.__beaker_pwned=2</script>"
    "<b class='evil-marker'>evil</b>"
)

CELLS = [
    "x = 41",
    "import pandas as pd\ndf = pd.DataFrame({'a': range(1000), 'b': ['x'] * 1000})",
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots()\nax.plot([1, 2, 3]);",
    # An object whose own HTML repr is evil (the server sends text/html for
    # tables only, so this one reaches the panel as text/plain).
    f"class Evil:\n    def _repr_html_(self):\n        return {EVIL_HTML!r}\n\nevil = Evil()",
    # A DataFrame whose cell holds the evil text: pandas escapes it.
    f"html_df = pd.DataFrame({{'html': [{EVIL_HTML!r}]}})",
    # A DataFrame (as far as the preview can tell) whose table HTML is the
    # evil text itself: this one reaches the panel's sanitizer unescaped.
    "class DataFrame(pd.DataFrame):\n"
    "    @property\n"
    "    def _constructor(self):\n"
    "        return type(self)\n\n"
    "    def to_html(self, *args, **kwargs):\n"
    f"        return {EVIL_HTML!r}\n\n"
    "DataFrame.__module__ = 'pandas.core.frame'\n"
    "evil_df = DataFrame({'a': [1, 2]})\n"
    "del DataFrame",
]

# A one-pixel PNG.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAC"
    "hwGA60e6kgAAAABJRU5ErkJggg=="
)
MIME = "application/vnd.beaker.variable+json"

# The multiplication sign the panel writes shapes with (`1000 x 2`).
TIMES = "\u00d7"


def meta(type_: str, **values: Any) -> dict[str, Any]:
    """The panel's metadata entry of one crafted variable."""
    return {
        MIME: {
            "type": type_,
            "module": values.pop("module", "builtins"),
            "shape": values.pop("shape", None),
            "dtype": values.pop("dtype", None),
            "bytes": values.pop("bytes", None),
            "summary": values.pop("summary", ""),
            "changed": values.pop("changed", False),
        }
    }


def crafted_preview(**meta_values: Any) -> dict[str, Any]:
    """A preview as the server would push it, with exactly known data."""
    return {
        "preview": {
            "variables": {
                "x": {"text/plain": "41", **meta("int", bytes=28, summary="41", changed=True)},
                "greeting": {
                    "text/plain": "'hello'",
                    **meta("str", shape=5, bytes=54, summary="'hello'"),
                },
                "evil": {
                    "text/html": EVIL_HTML,
                    "text/plain": "<Evil>",
                    **meta("Evil", module="__main__", bytes=48, summary="<Evil>"),
                },
            },
            "tables": {
                "df": {
                    "text/html": "<table class='dataframe'><thead><tr><th></th><th>a</th>"
                    "<th>b</th></tr></thead><tbody><tr><th>0</th><td>0</td><td>x</td></tr>"
                    "</tbody></table>",
                    "text/plain": "   a  b\n0  0  x",
                    **meta(
                        "DataFrame",
                        module="pandas.core.frame",
                        shape=[1000, 2],
                        dtype="a: int64, b: object",
                        bytes=16128,
                        summary="   a  b",
                    ),
                }
            },
            "arrays": {
                "arr": {
                    "text/plain": "array([0., 0., 0., ..., 0., 0., 0.])",
                    **meta(
                        "ndarray",
                        module="numpy",
                        shape=[1000, 1000],
                        dtype="float64",
                        bytes=8_000_000,
                        summary="array([0., 0., 0., ..., 0., 0., 0.])",
                    ),
                }
            },
            "figures": {
                "fig": {
                    "image/png": PNG,
                    "text/plain": "<Figure size 640x480 with 1 Axes>",
                    **meta(
                        "Figure",
                        module="matplotlib.figure",
                        bytes=48,
                        summary="<Figure size 640x480 with 1 Axes>",
                    ),
                }
            },
        },
        "meta": {
            "state": "ok",
            "total": 6,
            "shown": 6,
            "omitted": 0,
            "partial": False,
            "truncated": False,
            "elapsed_ms": 1.5,
            "changed": ["x"],
            "removed": [],
            # Now: the panel ignores a preview made before the one it shows.
            "time": datetime.now(timezone.utc).isoformat(),
            **meta_values,
        },
    }


@dataclass
class LabPage:
    """The page with the notebook open and the panel shown."""

    page: Any
    server_previews: bool
    errors: list[str] = field(default_factory=list)
    #: The panel's width as JupyterLab first shows it (its default sidebar width).
    default_width: float = 0.0

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def wait_kernel_idle(self) -> None:
        wait_notebook_idle(self.page, NOTEBOOK)

    def execute(self, code: str) -> dict[str, Any]:
        """Run ``code`` as a user execution in the notebook's kernel; the reply content."""
        return self.js(
            f"async code => (await {KERNEL}.requestExecute({{code}}).done).content", code
        )

    def settle(self) -> None:
        """The kernel is idle and the panel has its preview (no request on its way).

        To be called before pushing a crafted preview, so that the answer to
        the panel's own request does not replace it.
        """
        self.wait_kernel_idle()
        self.page.wait_for_function(
            f"() => {MODEL}.state !== 'loading' && !{MODEL}.refreshing && !{MODEL}.busy"
        )

    def push(self, content: dict[str, Any]) -> bool:
        """Hand a preview to the panel's model, as if the server pushed it."""
        return self.js(f"content => {MODEL}.applyPreview(content)", content)

    def wait_for_rows(self, names: list[str], attempts: int = 3) -> None:
        """Wait until the panel lists ``names``, refreshing after a partial preview.

        The kernel makes a preview within a time budget: the first rendering
        of a figure (matplotlib's first draw) can use it up, and the preview
        then says "partial" and leaves some variables out until the next one.
        """
        present = (
            "names => names.every(name => document.querySelector("
            f"'{ROW}[data-name=\"' + name + '\"]'))"
        )
        for _ in range(attempts):
            self.page.wait_for_function(
                f"names => ({present})(names) || {MODEL}.meta?.partial || {MODEL}.meta?.truncated",
                arg=names,
            )
            if self.page.evaluate(present, names):
                return
            self.page.evaluate(
                "() => window.jupyterapp.commands.execute('beaker-server:refresh-preview')"
            )
        self.page.wait_for_function(present, arg=names)

    def row(self, name: str) -> Any:
        return self.page.locator(f'{ROW}[data-name="{name}"]')

    def cells(self, name: str) -> dict[str, str]:
        """The texts of a row, by column."""
        row = self.row(name)
        return {
            column: " ".join(row.locator(f".jp-BeakerPreview-col-{column}").inner_text().split())
            for column in ("name", "type", "shape", "size", "value")
        }

    def names(self) -> list[str]:
        return self.page.locator(ROW).evaluate_all("rows => rows.map(r => r.dataset.name)")

    def state(self) -> str:
        return self.page.locator(STATE).get_attribute("data-state") or ""

    def wait_state(self, *states: str) -> None:
        self.page.wait_for_function(
            "states => states.includes(document.querySelector("
            "'#beaker-preview-panel .jp-BeakerPreview-state')?.dataset.state)",
            arg=list(states),
        )

    def expand(self, name: str) -> Any:
        """Expand the row of ``name``; the locator of its rendered preview."""
        if self.row(name).get_attribute("aria-expanded") != "true":
            self.row(name).click()
        detail = self.page.locator(f'tr.jp-BeakerPreview-detailRow[data-name="{name}"]').locator(
            ".jp-BeakerPreview-detail"
        )
        detail.wait_for()
        # The renderer fills the node asynchronously.
        detail.locator(".jp-BeakerPreview-rendered").wait_for()
        return detail

    def collapse_all(self) -> None:
        self.js(f"() => {{ for (const r of {MODEL}.rows) {MODEL}.toggleExpanded(r.name, false); }}")
        self.page.wait_for_selector(DETAIL, state="detached")

    def wait_images_settled(self, detail: Any) -> None:
        """Every image in ``detail`` has loaded or failed (its onerror would have run)."""
        detail.evaluate(
            "node => Promise.all([...node.querySelectorAll('img')].map(img => img.complete"
            " ? null : new Promise(r => { img.addEventListener('load', r);"
            " img.addEventListener('error', r); })))"
        )


@pytest.fixture(scope="module")
def lab_notebooks() -> dict[str, Path | list[str]]:
    return {NOTEBOOK: CELLS}


def open_notebook_with_panel(page: Any, lab: JupyterLabProcess) -> None:
    """Load JupyterLab on the notebook, wait for its kernel, show the panel."""
    open_notebook_page(page, lab, NOTEBOOK)
    open_preview_panel(page)


@pytest.fixture(scope="module")
def lab_page(lab: JupyterLabProcess, page: Any, page_errors: list[str]) -> LabPage:
    types = lab.message_types()
    server_previews = any(t["name"] == "preview" for t in types)
    lab_page = LabPage(page, server_previews, errors=page_errors)
    open_notebook_with_panel(page, lab)
    lab_page.default_width = page.locator("#beaker-preview-panel").bounding_box()["width"]
    return lab_page


def needs_server_previews(lab_page: LabPage) -> None:
    if not lab_page.server_previews:
        pytest.skip("the server does not list the `preview` message type (not implemented yet)")


def test_panel_follows_the_notebook(lab_page: LabPage) -> None:
    page = lab_page.page
    panel = page.locator("#beaker-preview-panel")
    assert panel.is_visible()
    assert panel.locator(".jp-BeakerPreview-target").inner_text() == NOTEBOOK
    # The panel has a kernel: it either shows its preview or says why not.
    lab_page.wait_state("ok", "empty", "unavailable")
    if lab_page.server_previews:
        assert lab_page.state() in ("ok", "empty")
    # The commands are in the palette.
    palette = open_command_palette(page, "Variables")
    for label in ("Refresh Variables", "Variables Panel", "Show Variables Panel"):
        assert palette.locator(".lm-CommandPalette-item", has_text=label).count() >= 1, label
    page.keyboard.press("Escape")
    palette.wait_for(state="hidden")
    assert not lab_page.errors, lab_page.errors


def test_variables_end_to_end(lab_page: LabPage) -> None:
    needs_server_previews(lab_page)
    page = lab_page.page
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "count => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]"
        ".filter(p => /\\[\\d+\\]/.test(p.textContent)).length === count",
        arg=len(CELLS),
    )
    lab_page.wait_kernel_idle()
    lab_page.wait_for_rows(["x", "df", "fig", "evil", "html_df", "evil_df"])

    x, df, fig = lab_page.cells("x"), lab_page.cells("df"), lab_page.cells("fig")
    assert (x["type"], x["value"]) == ("int", "41")
    assert (df["type"], df["shape"]) == ("DataFrame", f"1000 {TIMES} 2")
    assert df["size"].endswith("KiB"), df
    assert fig["type"] == "Figure"
    assert lab_page.state() in ("ok", "busy")

    # A cell that changes one variable: that row is highlighted, the others not.
    reply = lab_page.execute("x = 42")
    assert reply["status"] == "ok", reply
    page.wait_for_function(
        f"() => document.querySelector('{ROW}[data-name=\"x\"] .jp-BeakerPreview-col-value')"
        "?.textContent === '42'"
    )
    assert "jp-BeakerPreview-row-changed" in lab_page.row("x").get_attribute("class")
    assert "jp-BeakerPreview-row-changed" not in lab_page.row("df").get_attribute("class")
    lab_page.wait_state("ok")
    assert "updated" in page.locator(STATE).inner_text()

    # The rich previews: the DataFrame as an HTML table, the figure as an image.
    table = lab_page.expand("df")
    assert table.get_attribute("data-mime-type") == "text/html"
    headers = table.locator("table thead th").all_inner_texts()
    assert "a" in headers and "b" in headers, headers
    image = lab_page.expand("fig")
    assert image.get_attribute("data-mime-type") == "image/png"
    assert image.locator("img").evaluate("img => img.src.startsWith('data:image/png')")
    widen_right_sidebar(page, "#beaker-preview-panel", 560)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "preview-panel.png"))
    lab_page.collapse_all()
    assert not lab_page.errors, lab_page.errors


def test_rows_are_readable_at_the_default_sidebar_width(lab_page: LabPage) -> None:
    """At JupyterLab's default right-sidebar width a row's type, shape and size
    show whole (a compact layout: the name and type, then shape and size, then
    the value), not cut to "Dat…", "10…"; wide, it is a table again."""
    needs_server_previews(lab_page)
    page = lab_page.page
    lab_page.row("evil_df").wait_for()  # the notebook's variables (the test before)
    resize_right_sidebar(page, "#beaker-preview-panel", lab_page.default_width)
    cut = """row => [...row.querySelectorAll(
        '.jp-BeakerPreview-col-type, .jp-BeakerPreview-col-shape, .jp-BeakerPreview-col-size'
    )].filter(td => td.scrollWidth > td.clientWidth).map(td => td.className)"""
    for name in ("x", "df", "fig", "evil", "html_df", "evil_df"):
        assert lab_page.row(name).evaluate(cut) == [], name
    df = lab_page.cells("df")
    assert (df["type"], df["shape"]) == ("DataFrame", f"1000 {TIMES} 2"), df
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#beaker-preview-panel").screenshot(path=str(ARTIFACTS / "panel-narrow.png"))
    # Wide: the table again, one line per variable.
    widen_right_sidebar(page, "#beaker-preview-panel", 560)
    height = lab_page.row("df").evaluate("row => row.getBoundingClientRect().height")
    assert height < 30, height


def test_variable_html_never_runs_end_to_end(lab_page: LabPage) -> None:
    needs_server_previews(lab_page)
    page = lab_page.page
    lab_page.row("evil_df").wait_for()
    # An object's own HTML repr is not sent: its text is.
    evil = lab_page.expand("evil")
    assert evil.get_attribute("data-mime-type") == "text/plain"
    # pandas escapes the HTML in a cell: it shows as text.
    html_df = lab_page.expand("html_df")
    assert "onerror" in html_df.locator("table td").first.inner_text()
    # A table whose HTML is the evil text itself goes through the sanitizer.
    evil_df = lab_page.expand("evil_df")
    assert evil_df.get_attribute("data-mime-type") == "text/html"
    evil_df.locator(".evil-marker").wait_for()
    for detail in (evil, html_df, evil_df):
        lab_page.wait_images_settled(detail)
    assert page.evaluate("() => window.__beaker_pwned") is None
    assert page.locator(f"{DETAIL} script").count() == 0
    assert page.locator(f"{DETAIL} [onerror]").count() == 0
    lab_page.collapse_all()


def test_crafted_preview_renders_and_sanitizes(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.settle()
    assert lab_page.push(crafted_preview())
    page.wait_for_selector(f'{ROW}[data-name="arr"]')
    assert lab_page.names() == ["arr", "df", "evil", "fig", "greeting", "x"]  # by name
    assert lab_page.cells("df") == {
        "name": "df",
        "type": "DataFrame",
        "shape": f"1000 {TIMES} 2",
        "size": "15.8 KiB",
        "value": "a b",
    }
    assert lab_page.cells("arr")["shape"] == f"1000 {TIMES} 1000"
    assert lab_page.cells("arr")["size"] == "7.6 MiB"
    assert lab_page.cells("greeting")["shape"] == "len 5"
    assert lab_page.cells("x")["size"] == "28 B"
    changed = page.locator(f"{ROW}.jp-BeakerPreview-row-changed").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    )
    assert changed == ["x"]
    assert lab_page.state() == "ok"
    assert page.locator(STATE).inner_text().startswith("6 variables · updated ")

    table = lab_page.expand("df")
    assert table.locator("table td").first.inner_text() == "0"
    image = lab_page.expand("fig")
    assert image.get_attribute("data-mime-type") == "image/png"
    image.locator("img").wait_for()
    # Our own metadata is never rendered, whatever the registry knows.
    assert page.locator(f"{DETAIL}[data-mime-type='{MIME}']").count() == 0

    # The evil HTML: the sanitizer drops the handler and the script, keeps the rest.
    evil = lab_page.expand("evil")
    assert evil.get_attribute("data-mime-type") == "text/html"
    evil.locator(".evil-marker").wait_for()
    lab_page.wait_images_settled(evil)
    assert page.evaluate("() => window.__beaker_pwned") is None
    assert evil.locator("script").count() == 0
    assert evil.locator("[onerror]").count() == 0
    assert "__beaker_pwned" not in evil.inner_html()
    # The control: the same HTML put in the page as such does run.
    page.evaluate(
        """html => new Promise(resolve => {
            const node = document.createElement('div');
            node.innerHTML = html.replaceAll('__beaker_pwned', '__beaker_control');
            node.querySelector('img').addEventListener('error', () => setTimeout(resolve));
            document.body.appendChild(node);
            window.__beaker_control_node = node;
        })""",
        EVIL_HTML,
    )
    assert page.evaluate("() => window.__beaker_control") == 1
    page.evaluate("() => window.__beaker_control_node.remove()")
    screenshot(page, "panel-crafted-expanded")
    lab_page.collapse_all()
    assert not lab_page.errors, lab_page.errors


def test_sort_and_filter(lab_page: LabPage) -> None:
    page = lab_page.page
    assert lab_page.push(crafted_preview())
    page.wait_for_selector(f'{ROW}[data-name="arr"]')
    size_header = page.locator("#beaker-preview-panel th[data-column='size']")
    size_header.locator("button").click()
    page.wait_for_selector("#beaker-preview-panel th[data-column='size'][aria-sort='ascending']")
    assert lab_page.names() == ["x", "evil", "fig", "greeting", "df", "arr"]
    size_header.locator("button").click()
    page.wait_for_selector("#beaker-preview-panel th[data-column='size'][aria-sort='descending']")
    assert lab_page.names() == ["arr", "df", "greeting", "evil", "fig", "x"]
    page.locator("#beaker-preview-panel th[data-column='type'] button").click()
    page.wait_for_selector("#beaker-preview-panel th[data-column='type'][aria-sort='ascending']")
    assert lab_page.names()[:2] == ["df", "evil"]  # DataFrame, Evil, Figure, int, ndarray, str
    assert (
        page.locator("#beaker-preview-panel th[data-column='size']").get_attribute("aria-sort")
        == "none"
    )

    # The filter matches names and types, ignoring case; typing is not lost.
    box = page.locator(".jp-BeakerPreview-filter input")
    box.press_sequentially("FRAME", delay=20)
    page.wait_for_function(f"() => document.querySelectorAll('{ROW}').length === 1")
    assert lab_page.names() == ["df"]
    assert box.input_value() == "FRAME"
    box.fill("zzz")
    page.wait_for_selector("#beaker-preview-panel .jp-BeakerPreview-noMatch")
    box.fill("")
    page.wait_for_function(f"() => document.querySelectorAll('{ROW}').length === 6")
    page.locator("#beaker-preview-panel th[data-column='name'] button").click()
    page.wait_for_selector("#beaker-preview-panel th[data-column='name'][aria-sort='ascending']")


def test_notices_and_empty_state(lab_page: LabPage) -> None:
    page = lab_page.page
    notice = page.locator("#beaker-preview-panel .jp-BeakerPreview-notice")
    assert lab_page.push(crafted_preview(omitted=5, partial=True, truncated=True))
    notice.wait_for()
    text = notice.inner_text()
    assert "5 more not shown" in text
    assert "Partial preview" in text
    assert "Truncated preview" in text
    assert "Live updates are off" not in text
    assert lab_page.push(crafted_preview(live=False))
    page.wait_for_function(
        "() => document.querySelector('#beaker-preview-panel .jp-BeakerPreview-notice')"
        "?.innerText.includes('Live updates are off')"
    )
    assert lab_page.push(crafted_preview())
    notice.wait_for(state="detached")

    assert lab_page.push({"preview": {}, "meta": {"state": "empty", "total": 0}})
    lab_page.wait_state("empty")
    assert page.locator(ROW).count() == 0
    assert "No variables yet" in page.locator(STATE).inner_text()

    assert lab_page.push({"preview": {}, "meta": {"state": "restarting"}})
    lab_page.wait_state("restarting")
    # Anything that is not a preview is ignored.
    assert lab_page.push({"nonsense": True}) is False
    assert lab_page.state() == "restarting"


def test_busy_kernel_keeps_the_last_preview(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.settle()
    assert lab_page.push(crafted_preview())
    lab_page.wait_state("ok")
    page.evaluate(
        f"""() => {{
            window.__beakerBusy = [];
            {MODEL}.stateChanged.connect(model => window.__beakerBusy.push(model.busy));
            const code = 'import time; time.sleep(1.5)';
            window.__beakerRun = {KERNEL}.requestExecute({{code}}).done;
        }}"""
    )
    lab_page.wait_state("busy")
    assert "updating after the cell finishes" in page.locator(STATE).inner_text()
    assert page.locator(ROW).count() > 0  # the last preview stays
    page.evaluate("() => window.__beakerRun")
    page.wait_for_function(f"() => !{MODEL}.busy")
    lab_page.wait_state("ok", "empty", "unavailable")


def test_refresh_button(lab_page: LabPage) -> None:
    needs_server_previews(lab_page)
    page = lab_page.page
    lab_page.settle()
    assert lab_page.push(crafted_preview())
    page.wait_for_selector(f'{ROW}[data-name="arr"]')
    page.locator(".jp-BeakerPreview-refresh").click()
    # The kernel's real namespace replaces the crafted one.
    page.wait_for_selector(f'{ROW}[data-name="arr"]', state="detached")
    lab_page.row("df").wait_for()
    lab_page.wait_state("ok")
    # The command does the same.
    assert lab_page.push(crafted_preview())
    page.wait_for_selector(f'{ROW}[data-name="arr"]')
    page.evaluate("() => window.jupyterapp.commands.execute('beaker-server:refresh-preview')")
    page.wait_for_selector(f'{ROW}[data-name="arr"]', state="detached")


def test_panel_follows_the_current_console(lab_page: LabPage) -> None:
    page = lab_page.page
    target = page.locator("#beaker-preview-panel .jp-BeakerPreview-target")
    page.evaluate(
        """async () => {
            window.__beakerConsole = await window.jupyterapp.commands.execute(
                'console:create', {kernelPreference: {name: 'python3'}});
        }"""
    )
    console_kernel = "window.__beakerConsole.sessionContext.session?.kernel"
    page.wait_for_function(f"() => {console_kernel}?.status === 'idle'")
    page.wait_for_function(
        "() => document.querySelector('#beaker-preview-panel .jp-BeakerPreview-target')"
        "?.textContent.startsWith('Console')"
    )
    if lab_page.server_previews:
        lab_page.wait_state("empty")  # the console's own kernel
        page.evaluate(f"() => {console_kernel}.requestExecute({{code: 'z = 3'}}).done")
        lab_page.row("z").wait_for()
        assert lab_page.row("df").count() == 0
    # Back to the notebook: its variables again.
    page.evaluate(f"() => window.jupyterapp.shell.activateById({NOTEBOOK_PANEL}.id)")
    page.wait_for_function(
        "name => document.querySelector('#beaker-preview-panel .jp-BeakerPreview-target')"
        "?.textContent === name",
        arg=NOTEBOOK,
    )
    if lab_page.server_previews:
        lab_page.row("df").wait_for()
        assert lab_page.row("z").count() == 0
    # Closing the console while the notebook is followed changes nothing.
    page.evaluate(
        """async () => {
            await window.__beakerConsole.sessionContext.shutdown();
            window.__beakerConsole.dispose();
        }"""
    )
    assert target.inner_text() == NOTEBOOK


def test_restart_and_no_kernel(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.wait_kernel_idle()
    page.evaluate(
        f"""() => {{
            window.__beakerStates = [];
            {MODEL}.stateChanged.connect(model => window.__beakerStates.push(model.state));
        }}"""
    )
    # As the Restart Kernel command does, without its dialog. (A bare
    # `kernel.restart()` leaves the connection's status at `starting`.)
    page.evaluate(f"() => {NOTEBOOK_PANEL}.sessionContext.restartKernel()")
    page.wait_for_function("() => window.__beakerStates.includes('restarting')")
    lab_page.wait_kernel_idle()
    if lab_page.server_previews:
        lab_page.wait_state("empty")  # a fresh namespace
    else:
        lab_page.wait_state("unavailable")
    assert page.locator(ROW).count() == 0

    page.evaluate(f"() => {NOTEBOOK_PANEL}.sessionContext.shutdown()")
    lab_page.wait_state("no-kernel")
    # The stock toolbar button re-renders on the model's change, a frame later.
    page.wait_for_selector(".jp-BeakerPreview-refresh button:disabled")
    assert not page.evaluate(
        "() => window.jupyterapp.commands.isEnabled('beaker-server:refresh-preview')"
    )
    page.evaluate(f"() => {NOTEBOOK_PANEL}.sessionContext.changeKernel({{name: 'python3'}})")
    lab_page.wait_kernel_idle()
    lab_page.wait_state("empty", "unavailable")


def test_settings_columns_and_auto_refresh(lab_page: LabPage, lab: JupyterLabProcess) -> None:
    page = lab_page.page
    settings = {"columns": ["type", "value"], "autoRefresh": False}
    lab.rest("PUT", "/lab/api/settings/beaker-server:preview", {"raw": json.dumps(settings)})
    try:
        open_notebook_with_panel(page, lab)
        page.wait_for_function(f"() => {MODEL}.autoRefresh === false")
        lab_page.settle()
        assert lab_page.push(crafted_preview())
        page.wait_for_selector(f'{ROW}[data-name="arr"]')
        headers = page.locator("#beaker-preview-panel th").evaluate_all(
            "ths => ths.map(th => th.dataset.column)"
        )
        assert headers == ["name", "type", "value"]
        if lab_page.server_previews:
            # A pushed preview is not applied: the panel says so.
            assert lab_page.execute("y = 1")["status"] == "ok"
            lab_page.wait_state("stale")
            assert lab_page.row("y").count() == 0
            page.locator(".jp-BeakerPreview-refresh").click()
            lab_page.row("y").wait_for()
            lab_page.wait_state("ok")
    finally:
        lab.rest("PUT", "/lab/api/settings/beaker-server:preview", {"raw": "{}"})
