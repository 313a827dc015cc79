"""The browser tests' fixtures: one ``jupyter lab`` and one headless Chromium per module.

A module says what its lab serves by overriding ``lab_notebooks``; its own page
fixture opens them with ``new_page(chromium_browser, ...)`` (tests/support/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import JupyterLabProcess, chromium, write_notebook


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


@pytest.fixture(scope="module")
def lab_notebooks() -> dict[str, Path | list[str]]:
    """What the module's lab serves, by name: a notebook file to copy, or the code
    cells of a notebook to write. A module overrides this fixture."""
    return {}


@pytest.fixture(scope="module")
def lab(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    lab_notebooks: dict[str, Path | list[str]],
) -> Iterator[JupyterLabProcess]:
    """One ``jupyter lab`` per module, serving the module's ``lab_notebooks``."""
    module = request.module.__name__.rpartition(".")[2]
    proc = JupyterLabProcess(tmp_path_factory.mktemp(module.replace("test_browser", "lab")))
    for name, source in lab_notebooks.items():
        if isinstance(source, Path):
            proc.add_notebook(source, name)
        else:
            write_notebook(proc.root_dir, name, source)
    proc.start()
    yield proc
    proc.stop()
