"""The browser tests' fixtures: one ``jupyter lab``, one headless Chromium and one
page per module, and a screenshot of that page after each test.

A module says what its lab serves by overriding ``lab_notebooks`` (and its page's
size with ``viewport``); its own fixture loads JupyterLab in ``page``. The
helpers are in tests/support/browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.browser import (
    JupyterLabProcess,
    chromium,
    new_page,
    screenshot_after,
    write_notebook,
)


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
    proc = JupyterLabProcess(tmp_path_factory.mktemp(f"lab-{short_name(request)}"))
    for name, source in lab_notebooks.items():
        if isinstance(source, Path):
            proc.add_notebook(source, name)
        else:
            write_notebook(proc.root_dir, name, source)
    proc.start()
    yield proc
    proc.stop()


def short_name(request: pytest.FixtureRequest) -> str:
    """``browser``, ``panel``, ``explorer``: the test module's name without ``test_browser_``."""
    module = request.module.__name__.rpartition(".")[2]
    return module.removeprefix("test_").removeprefix("browser_")


@pytest.fixture(scope="module")
def viewport() -> tuple[int, int]:
    """The width and height of the module's page; a module may override it."""
    return 1400, 900


@pytest.fixture(scope="module")
def page_errors() -> list[str]:
    """The uncaught errors of the module's page, from before it loads anything."""
    return []


@pytest.fixture(scope="module")
def page(chromium_browser: Any, viewport: tuple[int, int], page_errors: list[str]) -> Iterator[Any]:
    """The module's page, blank: the module's own fixture loads JupyterLab in it."""
    with new_page(chromium_browser, *viewport) as page:
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        yield page


@pytest.fixture(autouse=True)
def screenshot_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """``test-artifacts/<module>-<test>.png`` of the module's page after each test
    that uses it, however the test ends."""
    if "page" not in request.fixturenames:
        yield
        return
    with screenshot_after(
        request.getfixturevalue("page"), f"{short_name(request)}-{request.node.name}"
    ):
        yield
