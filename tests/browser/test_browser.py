"""JupyterLab in a real browser: the lab extension against the server extension.

One ``jupyter lab`` and one headless Chromium per module; the demo notebook is
opened once and the tests run in file order on that page. Every test leaves a
screenshot in ``test-artifacts/``. Nothing sleeps for a fixed time: each step
waits for a selector, a page condition, or a console message, under a timeout.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    DEMO_NOTEBOOK,
    STEP_TIMEOUT,
    JupyterLabProcess,
    open_command_palette,
    screenshot,
)

pytestmark = pytest.mark.timeout(60)

CONNECTED = re.compile(r"beaker-server: connected to server, (\d+) message types")

# What evaluating must not change in the kernel: the next execution count, the
# input history, the output cache and the last result.
STATE = "[get_ipython().execution_count, len(In), len(Out), repr(_)]"

# The notebook panel in the main area and its kernel connection.
PANEL = "window.jupyterapp.shell.currentWidget"
KERNEL = f"{PANEL}.sessionContext.session?.kernel"


@dataclass
class LabPage:
    """The page with the demo notebook open, and what the page has logged."""

    page: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def evaluate(self, expression: str) -> Any:
        """Run the extension's evaluate command with ``expression``; the reply content."""
        return self.page.evaluate(
            "expression => window.jupyterapp.commands.execute("
            "'beaker-server:evaluate', {expression})",
            expression,
        )

    def close_dialog(self) -> str:
        """Close the result dialog of the evaluate command; returns its text."""
        dialog = self.page.locator(".jp-Dialog")
        text = dialog.locator(".jp-Beaker-evaluateResult").inner_text()
        dialog.locator(".jp-Dialog-footer .jp-mod-accept").click()
        dialog.wait_for(state="detached")
        return text

    def wait_kernel_idle(self) -> None:
        """The kernel connection and the notebook's status indicator both say idle."""
        self.page.wait_for_function(f"() => {KERNEL}?.status === 'idle'")
        self.page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')

    def prompts(self) -> list[str]:
        """The input prompts of the code cells, e.g. ``["[1]:", "[ ]:"]``."""
        return [
            text.strip()
            for text in self.page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        ]

    def run_code_cell(self, index: int) -> None:
        """Run the code cell ``index`` through the UI: click into it, Shift+Enter."""
        cell = self.page.locator(".jp-CodeCell").nth(index)
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Shift+Enter")

    def wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        """Let Playwright deliver events until ``predicate()`` holds."""
        deadline = time.monotonic() + STEP_TIMEOUT / 1000
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            # A short wait inside Playwright: it dispatches the page's events
            # (console messages) to the handlers while it waits.
            self.page.wait_for_timeout(20)


@pytest.fixture(scope="module")
def lab_notebooks() -> dict[str, Path | list[str]]:
    return {DEMO_NOTEBOOK.name: DEMO_NOTEBOOK}


@pytest.fixture(scope="module")
def viewport() -> tuple[int, int]:
    return 1280, 800


@pytest.fixture(scope="module")
def lab_page(lab: JupyterLabProcess, page: Any, page_errors: list[str]) -> LabPage:
    """The demo notebook open in JupyterLab, its kernel started."""
    lab_page = LabPage(page, errors=page_errors)
    # Listen before loading, so the extension's first messages are kept.
    page.on("console", lambda msg: lab_page.console.append((msg.type, msg.text)))
    page.goto(lab.url("lab/tree/custom-messages.ipynb"))
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
    return lab_page


def test_extension_connects_to_server(lab_page: LabPage) -> None:
    page = lab_page.page
    page.wait_for_selector('body[data-beaker-server="connected"]', state="attached")
    # The attribute is set right after the log line; Playwright may still be
    # delivering the console event.
    lab_page.wait_until(
        lambda: any(CONNECTED.search(text) for _, text in lab_page.console),
        "the extension's console message",
    )
    counts = [int(m[1]) for _, text in lab_page.console if (m := CONNECTED.search(text))]
    assert counts[0] >= 2, lab_page.console  # at least the built-ins: evaluate, message_types
    assert not lab_page.errors, lab_page.errors
    beaker_errors = [
        text for kind, text in lab_page.console if kind == "error" and "beaker" in text
    ]
    assert not beaker_errors


def test_evaluate_command_does_not_touch_the_notebook(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.wait_kernel_idle()
    assert "x = 41" in page.locator(".jp-CodeCell").nth(0).locator(".cm-content").inner_text()
    assert lab_page.prompts()[0] == "[ ]:"

    lab_page.run_code_cell(0)
    page.wait_for_function(
        "() => document.querySelector('.jp-CodeCell .jp-InputPrompt')"
        "?.textContent.trim() === '[1]:'"
    )
    lab_page.wait_kernel_idle()
    prompts = lab_page.prompts()

    # The kernel's own counter, history and output cache, read the same way
    # before and after: evaluating leaves them alone.
    state = lab_page.evaluate(STATE)
    assert state["status"] == "ok", state
    assert state["return"][0] == 2  # one cell has run
    lab_page.close_dialog()

    # The command resolves after `future.done`: reply and idle status arrived.
    reply = lab_page.evaluate("x + 1")
    assert reply == {"status": "ok", "return": 42}
    dialog = page.locator(".jp-Dialog")
    assert dialog.locator(".jp-Dialog-header").inner_text() == "Result of x + 1"
    assert dialog.locator(".jp-Beaker-evaluateResult").inner_text() == "42"
    screenshot(page, "browser-evaluate-dialog")
    lab_page.close_dialog()

    assert lab_page.evaluate(STATE) == state
    lab_page.close_dialog()
    assert lab_page.prompts() == prompts
    assert prompts[0] == "[1]:"
    assert page.locator(".jp-CodeCell").nth(0).locator(".jp-OutputArea-output").count() == 0
    lab_page.wait_kernel_idle()


def test_evaluate_command_shows_errors(lab_page: LabPage) -> None:
    lab_page.wait_kernel_idle()
    reply = lab_page.evaluate("undefined_name")
    assert reply["status"] == "error", reply
    assert reply["ename"] == "NameError"
    text = lab_page.close_dialog()
    assert text.startswith("NameError: ") and "undefined_name" in text
    lab_page.wait_kernel_idle()


def test_kernel_publishes_custom_message(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.wait_kernel_idle()
    # Collect every demo_response the notebook's kernel connection receives.
    page.evaluate(
        f"""() => {{
            window.beakerDemoResponses = [];
            {KERNEL}.iopubMessage.connect((_, msg) => {{
                if (msg.header.msg_type === 'demo_response') {{
                    window.beakerDemoResponses.push({{
                        content: msg.content,
                        parent: msg.parent_header.msg_type
                    }});
                }}
            }});
        }}"""
    )
    lab_page.run_code_cell(1)
    page.wait_for_function("() => window.beakerDemoResponses.length > 0")
    lab_page.wait_kernel_idle()
    responses = page.evaluate("() => window.beakerDemoResponses")
    assert responses == [{"content": {"hello": "from the kernel"}, "parent": "execute_request"}]
    # The cell ran without error and shows no output for the custom message.
    cell = page.locator(".jp-CodeCell").nth(1)
    assert re.fullmatch(r"\[\d+\]:", cell.locator(".jp-InputPrompt").inner_text().strip())
    assert cell.locator(".jp-OutputArea-output").count() == 0


def test_palette_command_prompts_for_expression(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.wait_kernel_idle()
    palette = open_command_palette(page, "Evaluate Expression")
    palette.locator(
        ".lm-CommandPalette-item", has_text="Evaluate Expression in Kernel (Beaker)"
    ).click()
    prompt = page.locator(".jp-Dialog", has=page.locator("input"))
    prompt.locator("input").fill("sum(range(10))")
    screenshot(page, "browser-palette-prompt")
    prompt.locator("input").press("Enter")
    result = page.locator(".jp-Dialog .jp-Beaker-evaluateResult")
    result.wait_for()
    assert result.inner_text() == "45"
    assert page.locator(".jp-Dialog .jp-Dialog-header").inner_text() == "Result of sum(range(10))"
    screenshot(page, "browser-palette-result")
    lab_page.close_dialog()
    lab_page.wait_kernel_idle()
