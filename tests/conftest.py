"""What every test folder shares: pytest-jupyter's fixtures, each folder's marker,
and the server log's tail in the report of a failed test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .support.jupyter_process import JupyterServerProcess

pytest_plugins = ["pytest_jupyter.jupyter_server"]

#: The test folders; each test gets its folder's marker (``-m unit``, ``-m "not browser"``).
FOLDERS = ("unit", "integration", "browser")

#: Lines of a module server's log shown with a failed test (CI keeps no files).
_LOG_TAIL_LINES = 80


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(here).parts if item.path.is_relative_to(here) else ()
        if parts and parts[0] in FOLDERS:
            item.add_marker(parts[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test's report ends with the tail of its server's log (debug lines
    only where they name the kernel or us): a flake in CI is then seen with what
    the server did, not only the client's timeout."""
    report = yield
    if report.failed and call.when == "call":
        server = getattr(item, "funcargs", {}).get("server")
        if isinstance(server, JupyterServerProcess):
            lines = [
                line
                for line in server.log().splitlines()
                if not line.startswith("[D ") or "beaker_server" in line or "ernel" in line
            ]
            tail = lines[-_LOG_TAIL_LINES:]
            report.sections.append(("server log (tail)", "\n".join(tail)))
    return report
