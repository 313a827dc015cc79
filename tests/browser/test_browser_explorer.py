"""The message explorer and the variable store in a real JupyterLab and browser.

One ``jupyter lab`` (its own data dir, so its own SQLite store) and one headless
Chromium per module; the tests run in file order on one page:

- the explorer lists the server's message types with their docs, validates the
  payload as JSON, sends a request and shows its flow message by message;
- ``save_var`` sent from the explorer for a variable made in a first notebook
  shows its stream, ``save_var_response`` and reply in order;
- the saved variable loads into a second notebook's kernel from the Variables
  panel's "Saved variables" list, and a cell of that notebook prints it;
- a row's "Save to store" action shows the new id; Delete removes an entry.

Nothing sleeps for a fixed time: each step waits for a selector or a page
condition, under a timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    ARTIFACTS,
    JupyterLabProcess,
    notebook_kernel_js,
    open_command_palette,
    open_notebook_in_lab,
    open_notebook_page,
    open_preview_panel,
    run_all_cells,
    screenshot,
    widen_right_sidebar,
)

pytestmark = pytest.mark.timeout(120)

SOURCE = "source.ipynb"
TARGET = "target.ipynb"
VALUE = "{'numbers': [1, 2, 3], 'text': 'hello'}"
SOURCE_CELLS = [f"saved_value = {VALUE}", "other = 7"]
# The second notebook only reads the variable: it must come from the store.
TARGET_CELLS = ["print(repr(saved_value))"]

EXPLORER = "#beaker-message-explorer"
TYPE = f"{EXPLORER} .jp-BeakerExplorer-type"
PAYLOAD = f"{EXPLORER} textarea.jp-BeakerExplorer-payload"
PAYLOAD_ERROR = f"{EXPLORER} .jp-BeakerExplorer-payloadError"
SEND = f"{EXPLORER} .jp-BeakerExplorer-send"
RUN = f"{EXPLORER} .jp-BeakerExplorer-run"

PANEL = "#beaker-preview-panel"
ROW = f"{PANEL} tr.jp-BeakerPreview-row"
STORE = f"{PANEL} .jp-BeakerStore"
SAVED = f"{STORE} .jp-BeakerStore-item"
NOTICE = f"{STORE} .jp-BeakerStore-notice"

STORE_TYPES = {"save_var", "load_var", "list_vars", "delete_var"}


class ExplorerPage:
    """The page, with what the tests read from it."""

    def __init__(self, page: Any, types: list[dict[str, Any]], errors: list[str]) -> None:
        self.page = page
        self.types = types
        self.errors = errors
        self.saved_id: str | None = None

    @property
    def has_store(self) -> bool:
        return {t["name"] for t in self.types} >= STORE_TYPES

    def open_explorer(self) -> None:
        self.page.evaluate(
            "() => window.jupyterapp.commands.execute('beaker-server:open-message-explorer')"
        )
        self.page.wait_for_selector(TYPE)

    def open_variables(self) -> None:
        open_preview_panel(self.page)

    def select(self, name: str) -> None:
        self.page.locator(f'{TYPE}[data-name="{name}"]').click()
        self.page.wait_for_selector(f'{TYPE}[data-name="{name}"][aria-selected="true"]')
        self.page.wait_for_selector(f'{EXPLORER} .jp-BeakerExplorer-details[data-name="{name}"]')

    def send(self, name: str, payload: dict[str, Any]) -> Any:
        """Choose ``name``, type ``payload``, press Send; the locator of the finished run."""
        self.select(name)
        before = self.page.locator(RUN).count()
        self.page.locator(PAYLOAD).fill(json.dumps(payload))
        send = self.page.locator(SEND)
        self.page.wait_for_function(f"() => !document.querySelector('{SEND}').disabled")
        send.click()
        self.page.wait_for_function(
            f"n => document.querySelectorAll('{RUN}').length === n + 1", arg=before
        )
        run = self.page.locator(RUN).first  # newest first
        assert run.get_attribute("data-name") == name
        self.page.wait_for_function(
            f"() => document.querySelector('{RUN}').dataset.status !== 'running'"
        )
        return run

    @staticmethod
    def events(run: Any) -> list[dict[str, Any]]:
        """The messages of a run's flow, in the order shown."""
        return run.locator(".jp-BeakerExplorer-event").evaluate_all(
            """events => events.map(e => ({
                index: Number(e.dataset.index),
                channel: e.dataset.channel,
                msg_type: e.dataset.msgType,
                note: e.querySelector('.jp-BeakerExplorer-note')?.dataset.note ?? null,
                json: e.querySelector(':scope > .jp-BeakerExplorer-json')?.textContent ?? null,
                text: e.innerText,
            }))"""
        )

    def saved_item(self, saved_id: str) -> Any:
        return self.page.locator(f'{SAVED}[data-id="{saved_id}"]')

    def wait_notice(self, action: str, kind: str = "ok") -> Any:
        notice = self.page.locator(f'{NOTICE}[data-action="{action}"][data-kind="{kind}"]')
        notice.wait_for()
        return notice


@pytest.fixture(scope="module")
def lab_notebooks() -> dict[str, Path | list[str]]:
    """Its own data dir, so its own SQLite store: a first notebook to save from,
    a second to load into."""
    return {SOURCE: SOURCE_CELLS, TARGET: TARGET_CELLS}


@pytest.fixture(scope="module")
def xp(lab: JupyterLabProcess, page: Any, page_errors: list[str]) -> ExplorerPage:
    """The first notebook open in JupyterLab, its kernel started."""
    explorer = ExplorerPage(page, lab.message_types(), page_errors)
    open_notebook_page(page, lab, SOURCE)
    return explorer


def needs_store(xp: ExplorerPage) -> None:
    if not xp.has_store:
        pytest.skip("the server does not list save_var/load_var/list_vars/delete_var yet")


def test_explorer_lists_the_message_types(xp: ExplorerPage) -> None:
    page = xp.page
    # The command is in the palette.
    palette = open_command_palette(page, "Message Explorer")
    item = palette.locator(".lm-CommandPalette-item", has_text="Show Message Explorer")
    assert item.count() >= 1
    item.first.click()
    palette.wait_for(state="hidden")
    page.wait_for_selector(TYPE)
    assert page.locator(EXPLORER).is_visible()

    names = page.locator(TYPE).evaluate_all("items => items.map(i => i.dataset.name)")
    assert names == sorted(t["name"] for t in xp.types)
    assert {"evaluate", "preview", "message_types"} <= set(names)
    # The list shows the first line of each type's docs.
    evaluate = next(t for t in xp.types if t["name"] == "evaluate")
    summary = page.locator(f'{TYPE}[data-name="evaluate"] .jp-BeakerExplorer-typeSummary')
    assert summary.inner_text() == evaluate["docs"].strip().splitlines()[0]

    # Choosing one shows its docs, its message types and its default payload.
    xp.select("evaluate")
    details = page.locator(f"{EXPLORER} .jp-BeakerExplorer-details")
    # Docstrings are reflowed: the same words, without the source's line breaks.
    docs = details.locator(".jp-BeakerExplorer-docs").inner_text()
    assert docs.split() == evaluate["docs"].split()
    first = details.locator(".jp-BeakerExplorer-docs p").first.inner_text()
    assert "\n" not in first
    facts = details.locator(".jp-BeakerExplorer-facts").inner_text()
    for msg_type in ("evaluate_request", "evaluate_response", "evaluate_reply"):
        assert msg_type in facts
    assert json.loads(page.locator(PAYLOAD).input_value()) == evaluate["default"]
    # The kernel line names the notebook followed.
    kernel_line = page.locator(f"{EXPLORER} .jp-BeakerExplorer-kernel")
    assert SOURCE in kernel_line.inner_text()
    assert not xp.errors, xp.errors


def test_invalid_json_is_shown_and_blocks_send(xp: ExplorerPage) -> None:
    page = xp.page
    xp.select("evaluate")
    payload = page.locator(PAYLOAD)
    payload.fill('{"expression": ')
    page.wait_for_selector(PAYLOAD_ERROR)
    assert "Invalid JSON" in page.locator(PAYLOAD_ERROR).inner_text()
    assert payload.get_attribute("aria-invalid") == "true"
    assert page.locator(SEND).is_disabled()
    # JSON, but not an object.
    payload.fill("[1, 2]")
    page.wait_for_function(
        f"() => document.querySelector('{PAYLOAD_ERROR}')?.textContent.includes('array')"
    )
    assert page.locator(SEND).is_disabled()
    # Reset brings the default payload back, and Send with it.
    page.locator(f"{EXPLORER} .jp-BeakerExplorer-reset").click()
    page.wait_for_selector(PAYLOAD_ERROR, state="detached")
    assert page.locator(SEND).is_enabled()
    evaluate = next(t for t in xp.types if t["name"] == "evaluate")
    assert json.loads(payload.input_value()) == evaluate["default"]


def test_explorer_shows_the_flow_of_a_request(xp: ExplorerPage) -> None:
    run = xp.send("evaluate", {"expression": "sum(range(7))"})
    assert run.get_attribute("data-status") == "ok"
    events = xp.events(run)
    kinds = [(e["channel"], e["msg_type"]) for e in events]
    assert kinds[0] == ("iopub", "status") and events[0]["note"] == "busy", events
    assert kinds[-1] == ("iopub", "status") and events[-1]["note"] == "idle", events
    assert kinds[-2] == ("shell", "evaluate_reply"), events
    assert [e["index"] for e in events] == list(range(1, len(events) + 1))
    assert json.loads(events[-2]["json"]) == 21
    assert run.locator(".jp-BeakerExplorer-status").inner_text() == "ok"
    assert run.locator(".jp-BeakerExplorer-elapsed").inner_text().endswith(("ms", "s"))

    # An error reply shows its ename and evalue.
    run = xp.send("evaluate", {"expression": "1 / 0"})
    assert run.get_attribute("data-status") == "error"
    reply = [e for e in xp.events(run) if e["channel"] == "shell"]
    assert len(reply) == 1 and "ZeroDivisionError" in reply[0]["text"], reply
    assert not xp.errors, xp.errors


def test_display_data_is_rendered_sanitized(xp: ExplorerPage) -> None:
    """Display data of a flow goes through rendermime, untrusted: no script runs."""
    page = xp.page
    xp.open_explorer()
    evil = (
        "<img src=x onerror='window.__beaker_pwned=1'>"
        "<script>window.__beaker_pwned=2</script>"
        "<b class='evil-marker'>evil</b>"
    )
    page.evaluate(
        f"""html => {{
            const panel = [...window.jupyterapp.shell.widgets('right')]
                .find(w => w.id === '{EXPLORER[1:]}');
            const model = panel.model;
            const run = model.startRun(
                {{name: 'crafted', msgId: 'crafted-1', payload: {{}}, target: null}});
            const msg = (msg_type, content, msg_id) => ({{header: {{msg_type, msg_id}}, content}});
            model.addEvent(run, 'iopub', msg('status', {{execution_state: 'busy'}}, 'm1'));
            model.addEvent(run, 'iopub', msg('display_data',
                {{data: {{'text/html': html, 'text/plain': 'evil'}}, metadata: {{}}}}, 'm2'));
            model.addEvent(run, 'shell',
                msg('crafted_reply', {{status: 'ok', return: null}}, 'm3'));
            model.addEvent(run, 'iopub', msg('status', {{execution_state: 'idle'}}, 'm4'));
            model.finishRun(run);
        }}""",
        evil,
    )
    run = page.locator(f'{RUN}[data-name="crafted"]')
    run.wait_for()
    assert run.get_attribute("data-status") == "ok"
    display = run.locator(".jp-BeakerExplorer-display")
    display.locator(".evil-marker").wait_for()
    display.locator("img").evaluate(
        "img => img.complete ? null : new Promise(r => {"
        " img.addEventListener('load', r); img.addEventListener('error', r); })"
    )
    assert display.get_attribute("data-mime-type") == "text/html"
    assert page.evaluate("() => window.__beaker_pwned") is None
    assert display.locator("script").count() == 0
    assert display.locator("[onerror]").count() == 0
    # Clear drops the finished runs.
    page.locator(f"{EXPLORER} .jp-BeakerExplorer-clear").click()
    run.wait_for(state="detached")
    assert not xp.errors, xp.errors


def test_explorer_sends_save_var(xp: ExplorerPage) -> None:
    needs_store(xp)
    page = xp.page
    outputs = run_all_cells(page, SOURCE)
    assert outputs == ["", ""], outputs
    xp.open_explorer()
    run = xp.send("save_var", {"name": "saved_value"})
    assert run.get_attribute("data-status") == "ok", xp.events(run)
    events = xp.events(run)
    types = [e["msg_type"] for e in events]
    # The flow's order: busy, the handler's stdout and response, the reply, idle.
    assert types[0] == "status" and events[0]["note"] == "busy", types
    assert types[-1] == "status" and events[-1]["note"] == "idle", types
    assert types[-2] == "save_var_reply" and events[-2]["channel"] == "shell", types
    assert "stream" in types and "save_var_response" in types, types
    assert types.index("save_var_response") < types.index("save_var_reply")
    stream = next(e for e in events if e["msg_type"] == "stream")
    assert stream["note"] == "stdout"
    assert "saved_value" in stream["text"]

    response = json.loads(next(e for e in events if e["msg_type"] == "save_var_response")["json"])
    reply = json.loads(events[-2]["json"])
    assert response["name"] == "saved_value"
    assert response["type"] == "dict"
    assert response["bytes"] > 0
    assert reply["id"] == response["id"]
    assert response["id"] in stream["text"]
    xp.saved_id = response["id"]

    # The picture: the chosen type, its payload and the whole flow.
    page.set_viewport_size({"width": 1400, "height": 1080})
    widen_right_sidebar(page, EXPLORER, 540)
    page.locator(f"{EXPLORER} .jp-BeakerExplorer-body").evaluate(
        "body => { body.scrollTop = body.scrollHeight; }"
    )
    path = ARTIFACTS / "explorer.png"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 900})
    assert not xp.errors, xp.errors


def test_saved_variable_loads_into_a_second_notebook(xp: ExplorerPage) -> None:
    needs_store(xp)
    assert xp.saved_id, "test_explorer_sends_save_var did not save"
    page = xp.page
    open_notebook_in_lab(page, TARGET)
    xp.open_variables()
    page.wait_for_function(
        f"() => document.querySelector('{PANEL} .jp-BeakerPreview-target')?.textContent === "
        f"'{TARGET}'"
    )
    # A fresh kernel: the variable is not there.
    status = page.evaluate(
        f"""async () => {{
            const future = {notebook_kernel_js(TARGET)}.requestExecute(
                {{code: 'assert "saved_value" not in globals()', silent: true}});
            return (await future.done).content.status;
        }}"""
    )
    assert status == "ok"

    item = xp.saved_item(xp.saved_id)
    item.wait_for()
    assert item.locator(".jp-BeakerStore-name").inner_text() == "saved_value"
    assert item.locator(".jp-BeakerStore-type").inner_text() == "dict"
    item.locator(".jp-BeakerStore-load").click()
    notice = xp.wait_notice("load")
    assert notice.get_attribute("data-id") == xp.saved_id
    assert notice.get_attribute("data-name") == "saved_value"
    # The preview of the second kernel shows the loaded variable.
    page.locator(f'{ROW}[data-name="saved_value"]').wait_for()
    # And the second notebook's own cell sees the value.
    outputs = run_all_cells(page, TARGET)
    assert [text.strip() for text in outputs] == [VALUE], outputs
    xp.open_variables()
    screenshot(page, "explorer-saved-variables")
    assert not xp.errors, xp.errors


def test_row_action_saves_and_delete_removes(xp: ExplorerPage) -> None:
    needs_store(xp)
    page = xp.page
    xp.open_variables()
    row = page.locator(f'{ROW}[data-name="saved_value"]')
    row.wait_for()
    row.hover()
    save = row.locator(".jp-BeakerPreview-save")
    assert save.get_attribute("aria-label") == "Save saved_value to the store"
    save.click()
    # The row did not expand: the action is not a click on the row.
    assert row.get_attribute("aria-expanded") == "false"
    notice = page.locator(f'{NOTICE}[data-action="save"][data-kind="ok"]')
    notice.wait_for()
    new_id = notice.get_attribute("data-id")
    assert new_id and new_id != xp.saved_id
    assert new_id in notice.inner_text()
    item = xp.saved_item(new_id)
    item.wait_for()
    assert "jp-mod-highlighted" in (item.get_attribute("class") or "")
    # Newest first.
    ids = page.locator(SAVED).evaluate_all("items => items.map(i => i.dataset.id)")
    assert ids[:2] == [new_id, xp.saved_id], ids

    # Saving a name the kernel does not have: an error notice, nothing added.
    result = page.evaluate(
        "() => window.jupyterapp.commands.execute('beaker-server:save-variable',"
        " {name: 'no_such_variable'})"
    )
    assert result is None
    error = xp.wait_notice("save", "error")
    assert "NameError" in error.inner_text()
    assert page.locator(SAVED).count() == len(ids)

    # Delete asks first, then removes the entry.
    item.locator(".jp-BeakerStore-delete").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert new_id in dialog.inner_text()
    dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
    xp.wait_notice("delete")
    item.wait_for(state="detached")
    assert xp.saved_item(xp.saved_id).count() == 1
    assert not xp.errors, xp.errors
