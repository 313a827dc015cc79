"""The Data Explorer in a real JupyterLab and browser, on a real kernel.

One ``jupyter lab`` and one headless Chromium for the module; a notebook makes
a 1,000,000-row DataFrame (floats with NaN, ints, strings, datetimes, and a
string that is HTML with an ``onerror`` handler), and the tests run in file
order on that page: open the explorer from the Variables panel's row, go to
the last row, sort by a header click, filter in the filter row (the second row
of the headers), open the column summary, copy a selection, export CSV, check
that the HTML is shown as text, take the README's screenshots, and restart the
kernel.

The grid paints on a canvas, so what it shows is read from the DOM the
explorer renders besides it: the status line, the readout of the cursor's
cell, and the tab's ``data-*`` attributes. Nothing sleeps for a fixed time:
each step waits for a selector or a page condition, under a timeout.

The steps that need ``table_profile`` or ``table_export`` are skipped while
the server does not list them.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from beaker_server.explorer.handlers import KERNEL_MODULES
from beaker_server.explorer.handlers import PROCEDURE as TABLES_PROCEDURE
from beaker_server.kernel.procedures import install_package_code

from ..support.browser import (
    ARTIFACTS,
    JupyterLabProcess,
    notebook_panel_js,
    open_notebook_page,
    open_preview_panel,
    run_all_cells,
    widen_right_sidebar,
)
from ..support.jupyter_process import ROOT


def procedure_has_op(op: str) -> bool:
    """Whether the kernel procedure of this checkout answers ``op`` (the server
    may list a message whose kernel side has not landed yet)."""
    name = "_beaker_tables_probe"
    eval(install_package_code(name, TABLES_PROCEDURE), {})
    try:
        answer = json.loads(sys.modules[name].handle({}, json.dumps({"op": op})))
    finally:
        for module in [name, *(f"{name}.{m}" for m in KERNEL_MODULES)]:
            sys.modules.pop(module, None)
    return "unknown op" not in str(answer.get("evalue", ""))


pytestmark = pytest.mark.timeout(120)

NOTEBOOK = "dataexplorer.ipynb"
ROWS = 1_000_000
EVIL = "<img src=x onerror=alert(1)>"
# The multiplication sign the status line writes shapes with.
TIMES = "\u00d7"

CELLS = [
    "import numpy as np\n"
    "import pandas as pd\n"
    f"n = {ROWS}\n"
    "r = np.arange(n)\n"
    "x = np.round(np.sin(r) * 10, 3)\n"
    "x[::7] = np.nan\n"
    "df = pd.DataFrame({\n"
    "    'x': x,\n"
    "    'k': (n - 1 - r).astype('int64'),\n"
    "    's': np.where(r % 3 == 0, 'alpha', np.where(r % 3 == 1, 'beta', 'gamma')),\n"
    "    't': pd.Timestamp('2020-01-01') + pd.to_timedelta(r, unit='min'),\n"
    f"    'html': np.where(r % 2 == 0, {EVIL!r}, 'plain'),\n"
    "})\n"
    "small = 41",
]

# What the page's scripts see of the explorer.
NOTEBOOK_PANEL = notebook_panel_js(NOTEBOOK)
EXPLORER = ".jp-BeakerDataExplorer:not(.lm-mod-hidden)"
CONTENT = f"{EXPLORER} .jp-BeakerDataExplorer-content"
STATUS = f"{EXPLORER} .jp-BeakerDataExplorer-status"
READOUT = f"{EXPLORER} .jp-BeakerDataExplorer-readout"
SUMMARY = f"{EXPLORER} .jp-BeakerDataExplorer-summary"
WIDGET_JS = (
    "[...window.jupyterapp.shell.widgets('main')]"
    ".find(w => w.hasClass('jp-BeakerDataExplorer') && w.isVisible)"
)
ROW = "#beaker-preview-panel tr.jp-BeakerPreview-row"
FILTER_INPUT = f"{EXPLORER} .jp-BeakerDataExplorer-filterInput"
FILTER_NOTE = f"{EXPLORER} .jp-BeakerDataExplorer-filterEditorNote"
CHIP = f"{EXPLORER} .jp-BeakerDataExplorer-chip"


def expected_x(row: int) -> float | None:
    """The value of ``x`` in ``row``, as the notebook makes it (NaN: None)."""
    if row % 7 == 0:
        return None
    return float(np.round(np.sin(row) * 10, 3))


@dataclass
class ExplorerPage:
    page: Any
    types: set[str]
    errors: list[str]
    dialogs: list[str] = field(default_factory=list)
    #: The stacks of the page's uncaught errors, to tell where one came from.
    stacks: list[str] = field(default_factory=list)

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def needs(self, *names: str, op: str = "") -> None:
        missing = [name for name in names if name not in self.types]
        if missing:
            pytest.skip(f"the server does not list {', '.join(missing)} yet")
        if op and not procedure_has_op(op):
            pytest.skip(f"the kernel procedure has no {op!r} op yet")

    def status(self) -> str:
        return self.page.locator(STATUS).inner_text()

    def wait_status(self, state: str, contains: str = "") -> str:
        """Wait until the status line is in ``state`` and says ``contains``; its text."""
        self.page.wait_for_function(
            """([selector, state, contains]) => {
                const node = document.querySelector(selector);
                return node && node.dataset.state === state && node.textContent.includes(contains);
            }""",
            arg=[STATUS, state, contains],
        )
        return self.status()

    def wait_readout(self, contains: str) -> str:
        """Wait until the cursor's readout says ``contains`` with its value loaded."""
        self.page.wait_for_function(
            """([selector, contains]) => {
                const text = document.querySelector(selector)?.textContent ?? '';
                return text.includes(contains) && !text.endsWith('= …');
            }""",
            arg=[READOUT, contains],
        )
        return self.page.locator(READOUT).inner_text()

    def grid_point(self, region: str, row: int, column: int) -> tuple[float, float]:
        """The client coordinates of the middle of a cell (region ``body``, or
        ``column-header`` whose row 0 is the names and row 1 the filters), which
        must be in view."""
        box = self.cell_box(region, row, column)
        return (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def cell_box(self, region: str, row: int, column: int) -> dict[str, float]:
        """The client rectangle of a cell, from the grid's geometry."""
        return self.js(
            f"""([region, row, column]) => {{
                const grid = {WIDGET_JS}.content.grid;
                const box = grid.viewport.node.getBoundingClientRect();
                const x = box.left + grid.headerWidth
                    + grid.columnOffset('body', column) - grid.scrollX;
                const width = grid.columnSize('body', column);
                if (region === 'column-header') {{
                    const y = box.top + grid.rowOffset('column-header', row);
                    return {{x, y, width, height: grid.rowSize('column-header', row)}};
                }}
                const y = box.top + grid.headerHeight + grid.rowOffset('body', row)
                    - grid.scrollY;
                return {{x, y, width, height: grid.rowSize('body', row)}};
            }}""",
            [region, row, column],
        )

    def click_cell(self, row: int, column: int, shift: bool = False) -> None:
        x, y = self.grid_point("body", row, column)
        if shift:
            self.page.keyboard.down("Shift")
        self.page.mouse.click(x, y)
        if shift:
            self.page.keyboard.up("Shift")

    def click_header(self, column: int, shift: bool = False) -> None:
        x, y = self.grid_point("column-header", 0, column)
        if shift:
            self.page.keyboard.down("Shift")
        self.page.mouse.click(x, y)
        if shift:
            self.page.keyboard.up("Shift")

    def click_filter(self, column: int) -> Any:
        """Click the filter cell of ``column`` (scrolled into view); its editor."""
        self.js(f"c => {WIDGET_JS}.content.grid.scrollToColumn(c)", column)
        self.page.wait_for_timeout(0)
        x, y = self.grid_point("column-header", 1, column)
        self.page.mouse.click(x, y)
        editor = self.page.locator(FILTER_INPUT)
        editor.wait_for()
        return editor

    def filter_cell(self, column: int) -> Any:
        """What the filter row paints for ``column``: its text, or the dim mark's."""
        return self.js(
            f"""c => {{
                const value = {WIDGET_JS}.content.model.grid.data('column-header', 1, c);
                return typeof value === 'string' ? value : {{mark: value.text}};
            }}""",
            column,
        )

    def filters(self) -> list[dict[str, Any]]:
        return self.js(f"() => {WIDGET_JS}.content.model.filters")

    def go_top(self, column: int) -> None:
        """Put the cursor on the first row of ``column``."""
        self.js(
            f"""column => {{
                const grid = {WIDGET_JS}.content.grid;
                grid.scrollTo(0, 0);
                grid.scrollToColumn(column);
            }}""",
            column,
        )
        self.click_cell(0, column)

    def wait_profile(self, column: int) -> bool:
        """Wait until the summary shows the exact profile of ``column`` (kernel
        index), failing on an error."""
        body = f"{SUMMARY} .jp-BeakerDataExplorer-summaryBody"
        self.page.wait_for_function(
            """([selector, column]) => {
                const node = document.querySelector(selector);
                return node?.dataset.column === String(column)
                    && ['exact', 'error'].includes(node.dataset.state);
            }""",
            arg=[body, column],
        )
        locator = self.page.locator(body)
        assert locator.get_attribute("data-state") == "exact", locator.inner_text()
        return True

    def column(self, name: str) -> int:
        return self.js(
            f"name => {WIDGET_JS}.content.model.grid.columns.findIndex(c => c.name === name)",
            name,
        )


@pytest.fixture(scope="module")
def lab_notebooks() -> dict[str, Path | list[str]]:
    return {NOTEBOOK: CELLS}


@pytest.fixture(scope="module")
def xp(lab: JupyterLabProcess, page: Any, page_errors: list[str]) -> ExplorerPage:
    """The notebook open and run, the Variables panel showing ``df``."""
    explorer = ExplorerPage(page, {t["name"] for t in lab.message_types()}, page_errors)
    page.on("pageerror", lambda error: explorer.stacks.append(str(error.stack)))
    page.on("dialog", lambda dialog: (explorer.dialogs.append(dialog.message), dialog.dismiss()))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.base_url)
    open_notebook_page(page, lab, NOTEBOOK)
    run_all_cells(page, NOTEBOOK)
    open_preview_panel(page)
    widen_right_sidebar(page, "#beaker-preview-panel", 420)
    page.locator(f'{ROW}[data-name="df"]').wait_for()
    return explorer


def test_open_from_the_panel_row(xp: ExplorerPage) -> None:
    """The row's action opens a tab named after the variable and the kernel,
    showing the shape."""
    page = xp.page
    assert "table_open" in xp.types
    row = page.locator(f'{ROW}[data-name="df"]')
    row.hover()
    row.locator(".jp-BeakerPreview-explore").click()
    page.wait_for_selector(f'{CONTENT}[data-state="ready"]')
    text = xp.wait_status("ready", "rows")
    assert text.startswith(f"1,000,000 rows {TIMES} 5 columns"), text
    title = xp.js(f"() => {WIDGET_JS}.title.label")
    assert title.startswith("df — Python 3"), title
    assert title.endswith(f"({NOTEBOOK})"), title
    # The first page came with the open: the first cell is there at once.
    assert xp.js(f"() => {WIDGET_JS}.content.model.grid.peek(0, 1)") == str(ROWS - 1)


def test_last_row_is_paged_in(xp: ExplorerPage) -> None:
    """Ctrl+Down goes to the last of a million rows; its block is fetched and
    the readout shows its label and value."""
    k = xp.column("k")
    xp.go_top(k)
    xp.wait_readout(f"row 1 of 1,000,000 [0] · k = {ROWS - 1}")
    xp.page.keyboard.press("Control+ArrowDown")
    readout = xp.wait_readout("row 1,000,000 of 1,000,000 [999999] · k = 0")
    assert readout.endswith("k = 0"), readout
    x = xp.column("x")
    xp.page.keyboard.press("ArrowLeft")
    want = expected_x(ROWS - 1)
    readout = xp.wait_readout("· x = ")
    assert readout.endswith(f"x = {'NaN' if want is None else want}"), readout
    # The grid scrolled there: the visible rows are near the end.
    assert xp.js(f"() => {WIDGET_JS}.content.grid.scrollY > 0")
    del x


FIND = f"{EXPLORER} .jp-BeakerDataExplorer-find"


def wait_find(xp: ExplorerPage, kind: str, contains: str = "") -> str:
    """Wait until the find box's status is of ``kind`` and says ``contains``."""
    xp.page.wait_for_function(
        """([selector, kind, contains]) => {
            const node = document.querySelector(selector);
            return node?.dataset.kind === kind && node.textContent.includes(contains);
        }""",
        arg=[f"{FIND} .jp-BeakerDataExplorer-findStatus", kind, contains],
    )
    return xp.page.locator(f"{FIND} .jp-BeakerDataExplorer-findStatus").inner_text()


def test_find_box(xp: ExplorerPage) -> None:
    """Accel F puts the keyboard in the find box; Enter finds the next cell
    holding the text from the cursor on (the cursor moves there), Shift+Enter
    the previous one; past the last row it wraps; Match case matters; a
    number column is searched as shown; HTML is looked for as text."""
    assert "table_find" in xp.types
    page = xp.page
    box = page.locator(f"{FIND} .jp-BeakerDataExplorer-findText")
    x, s = xp.column("x"), xp.column("s")
    xp.go_top(x)
    xp.wait_readout("row 1 of 1,000,000 [0] · x = ")
    page.keyboard.press("Control+f")
    page.wait_for_function(
        "selector => document.activeElement === document.querySelector(selector)",
        arg=f"{FIND} .jp-BeakerDataExplorer-findText",
    )
    # r % 3 == 2 is gamma: rows 2, 5, 8...
    box.fill("gamma")
    box.press("Enter")
    assert wait_find(xp, "found", "Row 3 · s") == "Row 3 · s"
    assert xp.wait_readout("row 3 of 1,000,000 [2] · s = ").endswith("s = gamma")
    box.press("Enter")
    wait_find(xp, "found", "Row 6 · s")
    xp.wait_readout("row 6 of 1,000,000 [5] · s = gamma")
    box.press("Shift+Enter")
    wait_find(xp, "found", "Row 3 · s")
    # Case: GAMMA is gamma, but not with Match case (every row is looked at).
    box.fill("GAMMA")
    page.locator(f"{FIND} .jp-BeakerDataExplorer-findCase").click()
    box.press("Enter")
    assert wait_find(xp, "none") == "No match"
    page.locator(f"{FIND} .jp-BeakerDataExplorer-findCase").click()
    box.press("Enter")
    wait_find(xp, "found", "· s")
    # A number as the grid shows it: k = 999990 is row 10.
    box.fill("999990")
    xp.go_top(x)
    box.press("Enter")
    wait_find(xp, "found", "Row 10 · k")
    xp.wait_readout("row 10 of 1,000,000 [9] · k = 999990")
    # From the last row on, beta wraps to row 2 (r = 1).
    xp.js(f"s => {WIDGET_JS}.content.moveCursor({{row: {ROWS - 1}, column: s}})", s)
    box.fill("beta")
    box.press("Enter")
    assert wait_find(xp, "found", "Row 2 · s") == "Row 2 · s (wrapped)"
    # HTML is text to look for: found in row 1 (r = 0), and nothing renders it.
    box.fill(EVIL)
    xp.go_top(x)
    box.press("Enter")
    wait_find(xp, "found", "Row 1 · html")
    assert page.locator(f"{EXPLORER} img").count() == 0
    assert xp.dialogs == []
    # Escape goes back to the grid.
    box.press("Escape")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.contains(document.activeElement)",
        arg=f"{EXPLORER} .jp-BeakerDataExplorer-grid",
    )
    box.fill("")


def test_header_click_sorts(xp: ExplorerPage) -> None:
    """A click on a header sorts ascending (the first row changes), a second
    descending, a third back to the table's order."""
    k = xp.column("k")
    xp.js(f"() => {WIDGET_JS}.content.grid.scrollTo(0, 0)")
    xp.click_header(k)
    text = xp.wait_status("ready", "sorted by k ↑")
    assert text == f"1,000,000 rows {TIMES} 5 columns · sorted by k ↑", text
    xp.go_top(k)
    xp.wait_readout("row 1 of 1,000,000 [999999] · k = 0")
    xp.click_header(k)
    xp.wait_status("ready", "sorted by k ↓")
    xp.go_top(k)
    xp.wait_readout(f"row 1 of 1,000,000 [0] · k = {ROWS - 1}")
    xp.click_header(k)
    page = xp.page
    page.wait_for_function(
        "selector => !document.querySelector(selector).textContent.includes('sorted')",
        arg=STATUS,
    )
    # Two keys: s ascending, then shift-click on k for k ascending.
    s = xp.column("s")
    xp.click_header(s)
    xp.wait_status("ready", "sorted by s ↑")
    xp.click_header(k, shift=True)
    xp.wait_status("ready", "sorted by s ↑, k ↑")
    xp.go_top(k)
    # The smallest k among the 'alpha' rows (r % 3 == 0): r = 999999.
    xp.wait_readout("row 1 of 1,000,000 [999999] · k = 0")


def test_column_resize_is_no_sort(xp: ExplorerPage) -> None:
    """Dragging a header's edge resizes the column and does not sort by it."""
    page = xp.page
    t = xp.column("t")
    before_status = xp.status()
    width = xp.js(f"c => {WIDGET_JS}.content.grid.columnSize('body', c)", t)
    x, y = xp.grid_point("column-header", 0, t)
    edge = x + width / 2 - 1
    page.mouse.move(edge, y)
    page.mouse.down()
    page.mouse.move(edge + 30, y, steps=3)
    page.mouse.move(edge + 60, y, steps=3)
    page.mouse.up()
    page.wait_for_function(
        f"([c, w]) => {WIDGET_JS}.content.grid.columnSize('body', c) >= w + 50", arg=[t, width]
    )
    assert xp.status() == before_status


def test_filter_row(xp: ExplorerPage) -> None:
    """The filter row under the column names: `> 5` in x's cell counts the rows
    left as numpy does (a chip, the cell shows it, the sort stays); `> five` is
    refused in the box; Tab to k and a between, and-ed; k's cell emptied drops
    its filter; Escape changes nothing; Alt+Down opens the cursor's column."""
    page = xp.page
    x, k = xp.column("x"), xp.column("k")
    sorted_by = xp.status().split(" · ")[-1]
    assert sorted_by.startswith("sorted by"), xp.status()
    assert xp.filter_cell(x) == {"mark": "(all)"}
    editor = xp.click_filter(x)
    assert editor.get_attribute("aria-label") == "Filter x"
    assert editor.get_attribute("placeholder") == "> 5, <= 3, = 7, 1..10"
    assert editor.input_value() == ""
    editor.fill("> 5")
    editor.press("Enter")
    r = np.arange(ROWS)
    values = np.round(np.sin(r) * 10, 3)
    values[::7] = np.nan
    left = int(np.sum(values > 5))
    text = xp.wait_status("ready", "after filter")
    assert f"· {left:,} after filter ·" in text, text
    # The click on the filter cell did not sort.
    assert text.endswith(sorted_by), text
    assert page.locator(FILTER_INPUT).count() == 0
    assert page.locator(CHIP).inner_text().startswith("x > 5")
    assert xp.filter_cell(x) == "> 5"
    # A bad number is refused in the box, before the kernel: the box stays,
    # marked, with the reason; the view is as it was.
    editor = xp.click_filter(x)
    assert editor.input_value() == "> 5"
    editor.fill("> five")
    editor.press("Enter")
    page.locator(FILTER_NOTE).wait_for()
    assert "Expected" in page.locator(FILTER_NOTE).inner_text()
    assert "jp-mod-invalid" in editor.get_attribute("class")
    assert editor.get_attribute("aria-invalid") == "true"
    assert "Expected" in editor.get_attribute("title")
    assert editor.is_visible() and editor.input_value() == "> five"
    assert xp.filters() == [{"kind": "compare", "column": 0, "op": ">", "value": 5}]
    assert f"· {left:,} after filter ·" in xp.status()
    # Typing clears the mark; Tab (the text as it was) moves to k.
    editor.fill("> 5")
    assert "jp-mod-invalid" not in editor.get_attribute("class")
    editor.press("Tab")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.getAttribute('aria-label') === 'Filter k'",
        arg=FILTER_INPUT,
    )
    editor = page.locator(FILTER_INPUT)
    assert editor.input_value() == ""
    # Typed key by key: no shortcut of the page or key of the grid takes them.
    page.keyboard.type("0..99999")
    assert editor.input_value() == "0..99999"
    editor.press("Enter")
    both = int(np.sum((values > 5) & ((ROWS - 1 - r) <= 99999)))
    xp.wait_status("ready", f"· {both:,} after filter")
    assert page.locator(CHIP).count() == 2
    assert xp.filter_cell(k) == "0..99999"
    # Shift+Tab goes back to x; Escape closes without a change.
    editor = xp.click_filter(k)
    editor.press("Shift+Tab")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.getAttribute('aria-label') === 'Filter x'",
        arg=FILTER_INPUT,
    )
    editor = page.locator(FILTER_INPUT)
    assert editor.input_value() == "> 5"
    editor.fill("> 9")
    editor.press("Escape")
    assert page.locator(FILTER_INPUT).count() == 0
    assert len(xp.filters()) == 2 and xp.filter_cell(x) == "> 5"
    assert f"· {both:,} after filter" in xp.status()
    # Leaving the box applies a changed text.
    editor = xp.click_filter(k)
    editor.fill("<= 99999")
    xp.click_cell(0, x)
    xp.wait_status("ready", f"· {both:,} after filter")
    assert page.locator(FILTER_INPUT).count() == 0
    assert xp.filter_cell(k) == "<= 99999"
    # k's cell emptied: back to one filter (x > 5) for the tests after.
    editor = xp.click_filter(k)
    editor.fill("")
    editor.press("Enter")
    xp.wait_status("ready", f"· {left:,} after filter")
    assert page.locator(CHIP).count() == 1
    assert xp.filter_cell(k) == {"mark": "(all)"}
    # Alt+Down opens the filter of the cursor's column.
    xp.go_top(k)
    page.keyboard.press("Alt+ArrowDown")
    editor = page.locator(FILTER_INPUT)
    editor.wait_for()
    assert editor.get_attribute("aria-label") == "Filter k"
    assert xp.js("() => document.activeElement?.className") == "jp-BeakerDataExplorer-filterInput"
    page.keyboard.press("Escape")
    assert page.locator(FILTER_INPUT).count() == 0
    assert xp.filters() == [{"kind": "compare", "column": 0, "op": ">", "value": 5}]


def test_filter_editor_sits_over_its_cell(xp: ExplorerPage) -> None:
    """After a sideways scroll the box covers its filter cell exactly; it
    closes (unapplied) when the grid scrolls sideways or its column is
    resized."""
    page = xp.page
    grid = f"{WIDGET_JS}.content.grid"
    count = xp.js(f"() => {WIDGET_JS}.content.model.grid.columns.length")
    widths = xp.js(f"n => [...Array(n).keys()].map(c => {grid}.columnSize('body', c))", count)
    try:
        # Wide columns: the grid scrolls sideways.
        xp.js(f"n => {{ for (let c = 0; c < n; c++) {grid}.resizeColumn('body', c, 500); }}", count)
        html = xp.column("html")
        xp.js(f"() => {grid}.scrollTo({grid}.maxScrollX, 0)")
        page.wait_for_function(f"() => {grid}.scrollX > 0")
        editor = xp.click_filter(html)
        assert xp.js(f"() => {grid}.scrollX") > 0
        page.wait_for_timeout(100)
        box = editor.bounding_box()
        cell = xp.cell_box("column-header", 1, html)
        for key in ("x", "y", "width", "height"):
            assert abs(box[key] - cell[key]) <= 1, (key, box, cell)
        # Typed text is lost on a sideways scroll: the box closes.
        editor.fill("alpha")
        xp.js(f"() => {grid}.scrollTo({grid}.scrollX - 120, 0)")
        page.locator(FILTER_INPUT).wait_for(state="detached")
        # A column resized under the box closes it too.
        s = xp.column("s")
        editor = xp.click_filter(s)
        box = editor.bounding_box()
        cell = xp.cell_box("column-header", 1, s)
        assert abs(box["x"] - cell["x"]) <= 1 and abs(box["width"] - cell["width"]) <= 1
        xp.js(f"c => {grid}.resizeColumn('body', c, 420)", s)
        page.locator(FILTER_INPUT).wait_for(state="detached")
        assert len(xp.filters()) == 1
    finally:
        xp.js(
            f"ws => {{ ws.forEach((w, c) => {grid}.resizeColumn('body', c, w));"
            f" {grid}.scrollTo(0, 0); }}",
            widths,
        )


def test_column_summary(xp: ExplorerPage) -> None:
    """The summary of the selected column: its histogram bars (SVG), the
    approximate answer marked ≈ until the exact one."""
    xp.needs("table_profile", op="profile")
    page = xp.page
    page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-summaryToggle").click()
    page.locator(SUMMARY).wait_for()
    xp.go_top(xp.column("x"))
    body = page.locator(f"{SUMMARY} .jp-BeakerDataExplorer-summaryBody")
    assert xp.wait_profile(0)
    bars = body.locator("rect.jp-BeakerDataExplorer-bar")
    assert bars.count() == 20
    heights = bars.evaluate_all("rects => rects.map(r => Number(r.getAttribute('height')))")
    assert max(heights) > 0, heights
    assert "≈" not in body.locator(".jp-BeakerDataExplorer-summaryTitle").inner_text()
    # A string column: its top values.
    xp.go_top(xp.column("s"))
    assert xp.wait_profile(2)
    labels = body.locator(".jp-BeakerDataExplorer-topLabel").all_text_contents()
    assert set(labels) <= {"alpha", "beta", "gamma"} and labels, labels


def test_copy_selection(xp: ExplorerPage) -> None:
    """A selected range copies with its headers, through the kernel (full
    values, never placeholders)."""
    xp.needs("table_export", op="export")
    page = xp.page
    x, k = xp.column("x"), xp.column("k")
    xp.go_top(x)
    xp.click_cell(2, k, shift=True)
    page.keyboard.press("Control+c")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.textContent.includes('Copied')",
        arg=f"{EXPLORER} .jp-BeakerDataExplorer-notice",
    )
    text = xp.js("() => navigator.clipboard.readText()")
    lines = text.strip("\r\n").splitlines()
    assert lines[0].split("\t") == ["x", "k"], lines
    assert len(lines) == 4, lines
    first = lines[1].split("\t")
    assert float(first[0]) > 5, first


def test_export_csv(xp: ExplorerPage) -> None:
    """Export CSV downloads the whole filtered view as a .csv file."""
    xp.needs("table_export", op="export")
    page = xp.page
    with page.expect_download() as info:
        page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-export").click()
    download = info.value
    assert download.suggested_filename == "df.csv"
    path = download.path()
    lines = Path(path).read_text().splitlines()
    r = np.arange(ROWS)
    x = np.round(np.sin(r) * 10, 3)
    x[::7] = np.nan
    header = lines[0].split(",")
    assert header[-5:] == ["x", "k", "s", "t", "html"], header
    assert (
        len(lines) - 1 == int(np.sum(x > 5))
        or "size limit" in page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-notice").inner_text()
    )


def test_html_in_values_is_text(xp: ExplorerPage) -> None:
    """A value that is HTML with an onerror handler is shown as its text: no
    image element anywhere in the explorer, no alert."""
    page = xp.page
    html = xp.column("html")
    bar = page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-filterBar")
    # Back to every row, so row 0 holds the HTML text.
    while bar.locator(".jp-BeakerDataExplorer-chipRemove").count() > 0:
        bar.locator(".jp-BeakerDataExplorer-chipRemove").first.click()
        xp.page.wait_for_function(
            "selector => document.querySelector(selector)?.dataset.state === 'ready'",
            arg=STATUS,
        )
    s = xp.column("s")
    # The sort of the test before: s then k; row 0 is r = 999999 (odd: 'plain').
    # Sort by k descending instead: row 0 is r = 0 (even: the HTML).
    for _ in range(3):
        if "sorted by k ↓" in xp.status():
            break
        xp.click_header(xp.column("k"))
        page.wait_for_function(
            "selector => document.querySelector(selector)?.dataset.state === 'ready'",
            arg=STATUS,
        )
    if "sorted by k ↓" not in xp.status():
        xp.click_header(xp.column("k"))
        xp.wait_status("ready", "sorted by k ↓")
    del s
    xp.go_top(html)
    readout = xp.wait_readout("· html = ")
    assert readout.endswith(f"html = {EVIL}"), readout
    if "table_profile" in xp.types and procedure_has_op("profile") and xp.wait_profile(4):
        labels = page.locator(f"{SUMMARY} .jp-BeakerDataExplorer-topLabel").all_text_contents()
        assert any(label.startswith("<img") for label in labels), labels
    assert page.locator(f"{EXPLORER} img").count() == 0
    assert xp.js("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert xp.dialogs == []


def test_html_in_a_filter_is_text(xp: ExplorerPage) -> None:
    """A filter text that is HTML with an onerror handler is looked for as
    text (the rows holding it), shown as text in its chip and cell: no image
    element, no alert."""
    page = xp.page
    html = xp.column("html")
    editor = xp.click_filter(html)
    editor.fill(EVIL)
    editor.press("Enter")
    text = xp.wait_status("ready", "after filter")
    assert f"· {ROWS // 2:,} after filter" in text, text
    assert xp.filters() == [{"kind": "contains", "column": 4, "term": EVIL}]
    assert xp.filter_cell(html) == EVIL
    assert page.locator(CHIP).inner_text().startswith(f'html contains "{EVIL}"')
    editor = xp.click_filter(html)
    assert editor.input_value() == EVIL
    editor.press("Escape")
    assert page.locator(f"{EXPLORER} img").count() == 0
    assert xp.js("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert xp.dialogs == []
    # Emptied: every row again.
    editor = xp.click_filter(html)
    editor.fill("")
    editor.press("Enter")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.dataset.state === 'ready'"
        " && !document.querySelector(selector).textContent.includes('after filter')",
        arg=STATUS,
    )


def test_screenshots(xp: ExplorerPage) -> None:
    """The README's screenshots, light and dark; the grid repaints with the
    theme's colours."""
    page = xp.page
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-right-area')")
    shot = page.locator("#jp-main-dock-panel")
    # A filter and the summary of x: the histogram when the kernel profiles.
    editor = xp.click_filter(xp.column("s"))
    editor.fill("= alpha")
    editor.press("Enter")
    xp.wait_status("ready", "after filter")
    assert xp.filter_cell(xp.column("s")) == "= alpha"
    xp.go_top(xp.column("x"))
    xp.wait_readout("· x = ")
    if "table_profile" in xp.types and procedure_has_op("profile"):
        xp.wait_profile(0)
    ARTIFACTS.mkdir(exist_ok=True)
    light = xp.js(f"() => {WIDGET_JS}.content.grid.style.backgroundColor")
    shot.screenshot(path=str(ARTIFACTS / "data-explorer.png"))
    change_theme(page, "JupyterLab Dark", light=False)
    page.wait_for_function(
        f"light => {WIDGET_JS}.content.grid.style.backgroundColor !== light", arg=light
    )
    shot.screenshot(path=str(ARTIFACTS / "data-explorer-dark.png"))
    change_theme(page, "JupyterLab Light", light=True)
    page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-right-area')")
    docs = ROOT / "docs"
    for name in ("data-explorer.png", "data-explorer-dark.png"):
        shutil.copyfile(ARTIFACTS / name, docs / name)


def change_theme(page: Any, theme: str, light: bool) -> None:
    """Switch JupyterLab to ``theme`` and wait until it is applied."""
    page.evaluate(
        "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    page.wait_for_function(
        "light => document.body.dataset.jpThemeLight === light", arg=str(light).lower()
    )
    # JupyterLab shows its splash while a theme loads and removes it 200 ms
    # after; a second change before that removes it twice (an error).
    page.wait_for_selector("#jupyterlab-splash", state="detached")


def test_not_a_table_from_the_palette(xp: ExplorerPage) -> None:
    """The palette's command asks for a name; one that is no table gets a
    clear message."""
    page = xp.page
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:activate-command-palette')")
    palette = page.locator(".jp-ModalCommandPalette")
    palette.locator("input").fill("Open Variable in Data Explorer")
    palette.locator(".lm-CommandPalette-item", has_text="Open Variable in Data Explorer").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("small")
    dialog.locator(".jp-mod-accept").click()
    text = xp.wait_status("closed")
    assert "small cannot be shown as a table" in text, text
    page.evaluate(f"() => {WIDGET_JS}.close()")


def test_cancel_a_running_sort(xp: ExplorerPage) -> None:
    """While a sort runs the status line shows it and a Cancel button; Cancel
    stops it (table_cancel) and the view stays in its order."""
    xp.needs("table_cancel")
    page = xp.page
    # 10M floats: a sort of some seconds in the kernel (README: 1.5 s idle).
    execute(xp, "big = pd.DataFrame({'v': np.random.default_rng(1).random(10_000_000)})")
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'beaker-server:open-data-explorer', {name: 'big'}); }"
    )
    xp.wait_status("ready", "10,000,000 rows")
    xp.go_top(0)
    first = xp.wait_readout("row 1 of 10,000,000 [0] · v = ")
    xp.click_header(0)
    page.wait_for_function(
        "selector => document.querySelector(selector)?.dataset.state === 'sorting'",
        arg=STATUS,
    )
    page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-cancel").click()
    xp.wait_status("ready", "rows")
    assert "sorted" not in xp.status()
    notice = page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-notice").inner_text()
    assert notice == "Sort cancelled.", notice
    # The rows are those of the table's order again.
    xp.go_top(0)
    assert xp.wait_readout("row 1 of 10,000,000 [0] · v = ") == first
    page.evaluate(f"() => {WIDGET_JS}.close()")
    execute(xp, "del big")


def test_filter_waits_for_a_running_sort(xp: ExplorerPage) -> None:
    """A filter applied while a sort runs waits for it (the notice says so),
    then applies on the sorted view: both hold, and the text was not lost."""
    page = xp.page
    execute(xp, "big = pd.DataFrame({'v': np.random.default_rng(1).random(10_000_000)})")
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'beaker-server:open-data-explorer', {name: 'big'}); }"
    )
    xp.wait_status("ready", "10,000,000 rows")
    xp.click_header(0)
    page.wait_for_function(
        "selector => document.querySelector(selector)?.dataset.state === 'sorting'",
        arg=STATUS,
    )
    editor = xp.click_filter(0)
    editor.fill("> 0.5")
    # Enter while the sort runs, and what the model says then, at once (the
    # sort could end between two of the page's steps).
    state, notice = xp.js(
        f"""selector => {{
            const model = {WIDGET_JS}.content.model;
            const state = model.state;
            document.querySelector(selector).dispatchEvent(
                new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}}));
            return [state, model.notice];
        }}""",
        FILTER_INPUT,
    )
    assert state == "sorting"
    assert "applied when the running sort ends" in notice, notice
    assert page.locator(FILTER_INPUT).count() == 0
    left = int(np.sum(np.random.default_rng(1).random(10_000_000) > 0.5))
    text = xp.wait_status("ready", f"· {left:,} after filter")
    assert text.endswith("sorted by v ↑"), text
    assert xp.filter_cell(0) == "> 0.5"
    page.evaluate(f"() => {WIDGET_JS}.close()")
    execute(xp, "del big")


SLOW_ROWS = """\
import time

class Slow:
    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        time.sleep(0.005)  # a filter through 400 of these takes 2 s
        return isinstance(other, str) and other == str(self.n)

    __hash__ = object.__hash__

    def __repr__(self):
        return str(self.n)

slowrows = [{"v": Slow(i % 10), "w": i} for i in range(400)]
"""


def test_a_sort_started_while_a_filter_runs_keeps_the_filter(xp: ExplorerPage) -> None:
    """A header click while a filter runs: the kernel filters, then sorts the
    filtered rows; the view says both (the filter's chip and row, the count
    after it, the sort), though the sort's request overtook the filter's."""
    page = xp.page
    execute(xp, SLOW_ROWS)
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'beaker-server:open-data-explorer', {name: 'slowrows'}); }"
    )
    xp.wait_status("ready", "400 rows")
    editor = xp.click_filter(0)
    editor.fill("= 5")
    editor.press("Enter")
    page.wait_for_function(
        "selector => document.querySelector(selector)?.dataset.state === 'filtering'",
        arg=STATUS,
    )
    xp.click_header(1)
    text = xp.wait_status("ready", "sorted by w")
    assert "· 40 after filter ·" in text, text
    assert [f["column"] for f in xp.filters()] == [0]
    assert xp.filter_cell(0) == "= 5"
    page.evaluate(f"() => {WIDGET_JS}.close()")
    execute(xp, "del slowrows, Slow")


def test_lazy_frame_grows_as_it_is_paged(xp: ExplorerPage) -> None:
    """A polars LazyFrame: its row count is unknown until its last row is
    paged, so the grid grows a block at a time; it is not sorted (the
    kernel's reason is shown)."""
    pytest.importorskip("polars")
    page = xp.page
    execute(
        xp, "import polars as pl\nlazy = pl.LazyFrame({'a': list(range(1000)), 'b': ['x'] * 1000})"
    )
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'beaker-server:open-data-explorer', {name: 'lazy'}); }"
    )
    text = xp.wait_status("ready", "rows")
    assert text.startswith("? rows"), text
    xp.go_top(0)
    for _ in range(10):
        page.keyboard.press("Control+ArrowDown")
        # The last row's value is in, or the end was found (the rows past it
        # are gone, and the cursor with them).
        page.wait_for_function(
            """([readout, status]) => {
                const text = document.querySelector(readout)?.textContent ?? '';
                return (text.includes('· a = ') && !text.endsWith('= …'))
                    || document.querySelector(status)?.textContent.startsWith('1,000 rows');
            }""",
            arg=[READOUT, STATUS],
        )
        if xp.status().startswith("1,000 rows"):
            break
    assert xp.status().startswith(f"1,000 rows {TIMES} 2 columns"), xp.status()
    xp.go_top(0)
    page.keyboard.press("Control+ArrowDown")
    assert xp.wait_readout("row 1,000 of 1,000").endswith("a = 999")
    xp.click_header(0)
    notice = page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-notice").inner_text()
    assert notice, "the kernel's reason for not sorting"
    assert "sorted" not in xp.status()
    # No filters either: the filter row says so, and its cells open no box.
    assert xp.filter_cell(0) == {"mark": "no filters"}
    xp.js(f"() => {{ {WIDGET_JS}.content.model.notice = ''; }}")
    page.mouse.click(*xp.grid_point("column-header", 1, 0))
    page.wait_for_function(
        "selector => document.querySelector(selector)?.textContent",
        arg=f"{EXPLORER} .jp-BeakerDataExplorer-notice",
    )
    assert page.locator(FILTER_INPUT).count() == 0
    assert "No filters" in page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-filterBar").inner_text()
    page.evaluate(f"() => {WIDGET_JS}.close()")


def execute(xp: ExplorerPage, code: str) -> Any:
    """Run ``code`` as a user's cell in the notebook's kernel; its reply content."""
    return xp.js(
        f"async code => (await {NOTEBOOK_PANEL}.sessionContext.session.kernel"
        ".requestExecute({code}).done).content",
        code,
    )


def open_df(xp: ExplorerPage) -> None:
    """Show the tab of ``df`` (opened again by the command if it was closed)."""
    xp.page.evaluate(
        "async () => { await window.jupyterapp.commands.execute("
        "'beaker-server:open-data-explorer', {name: 'df'}); }"
    )
    xp.wait_status("ready", "rows")


def test_busy_while_a_cell_runs(xp: ExplorerPage) -> None:
    """While a user's cell runs the status line says the view may change.
    (The tab is shown again by a double click on the panel's row.)"""
    page = xp.page
    page.evaluate(f"() => window.jupyterapp.shell.activateById({NOTEBOOK_PANEL}.id)")
    page.wait_for_function(f"() => !{WIDGET_JS}")
    page.locator(f'{ROW}[data-name="df"]').dblclick()
    page.wait_for_function(f"() => {WIDGET_JS}?.content.model.name === 'df'")
    xp.wait_status("ready", "rows")
    page.evaluate(
        f"() => {{ {NOTEBOOK_PANEL}.sessionContext.session.kernel"
        ".requestExecute({code: 'import time; time.sleep(1.5)'}); }"
    )
    xp.wait_status("busy", "kernel busy")
    xp.wait_status("ready", "rows")


def test_variable_changes_reload_or_close(xp: ExplorerPage) -> None:
    """A reassigned variable reloads (schema and rows), a deleted one closes."""
    xp.needs("table_open", op="check")
    open_df(xp)
    # The filter of the screenshots (s = alpha) is in s's cell; a box open on
    # x closes, unapplied, when the columns change.
    s = xp.column("s")
    assert xp.filter_cell(s) == "= alpha"
    editor = xp.click_filter(xp.column("x"))
    editor.fill("> 1")
    execute(xp, "df = df.head(1000).assign(extra=1)")
    text = xp.wait_status("ready", f"1,000 rows {TIMES} 6 columns")
    xp.page.locator(FILTER_INPUT).wait_for(state="detached")
    # The kernel kept it (and names its column).
    kept = [{k: v for k, v in f.items() if k != "name"} for f in xp.filters()]
    assert kept == [{"kind": "compare", "column": s, "op": "=", "value": "alpha"}], kept
    # Derived from the kernel's filters after the update.
    assert xp.filter_cell(xp.column("s")) == "= alpha"
    assert xp.filter_cell(xp.column("extra")) == {"mark": "(all)"}
    assert "reassigned" in xp.page.locator(f"{EXPLORER} .jp-BeakerDataExplorer-notice").inner_text()
    xp.go_top(xp.column("extra"))
    xp.wait_readout("· extra = 1")
    del text
    execute(xp, "df2 = df\ndel df")
    text = xp.wait_status("closed")
    assert "deleted" in text, text
    execute(xp, "df = df2")


def test_restart_closes_the_view(xp: ExplorerPage) -> None:
    """A kernel restart closes the view with a clear message."""
    page = xp.page
    page.locator(f'{ROW}[data-name="df"]').wait_for()
    open_df(xp)
    # A filter box open at the restart closes, unapplied.
    filters = xp.filters()
    editor = xp.click_filter(xp.column("x"))
    editor.fill("> 1")
    page.evaluate(f"() => {NOTEBOOK_PANEL}.sessionContext.restartKernel()")
    text = xp.wait_status("closed")
    assert "restarted" in text, text
    page.locator(FILTER_INPUT).wait_for(state="detached")
    assert xp.filters() == filters
    # A closed view opens no filter box.
    xp.js(f"() => {WIDGET_JS}.content.filterRow.open(0)")
    assert page.locator(FILTER_INPUT).count() == 0
    assert page.locator(f'{CONTENT}[data-state="closed"]').count() >= 1
    assert not xp.errors, (xp.errors, xp.stacks)


def test_layout_restores_the_tab(xp: ExplorerPage) -> None:
    """After a reload the tab is back, reopened by name in its notebook's kernel."""
    page = xp.page
    run_all_cells(page, NOTEBOOK)
    # Saved, so that no "leave the page?" prompt holds the reload. JupyterLab
    # saves the workspace (the layout, the tracker's tabs) as it changes; the
    # reload restores it, which runs the open command again.
    page.evaluate(f"async () => {{ await {NOTEBOOK_PANEL}.context.save(); }}")
    page.reload()
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
    page.wait_for_function(
        """selector => [...document.querySelectorAll(selector)].some(
            node => node.dataset.state === 'ready' || node.dataset.state === 'closed')""",
        arg=".jp-BeakerDataExplorer-status",
    )
    states = page.locator(".jp-BeakerDataExplorer-status").evaluate_all(
        "nodes => nodes.map(n => [n.dataset.state, n.textContent])"
    )
    assert any(state == "ready" and "1,000,000 rows" in text for state, text in states), states
