"""The README's first command, ``make demo``, serves the demo notebook (also as root)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ..support.jupyter_process import ROOT, JupyterProcess

pytestmark = pytest.mark.timeout(300)


class MakeDemoProcess(JupyterProcess):
    """``make demo`` as a user types it; only port, token and browser come from a
    config directory of its own, so whatever the Makefile passes is what runs."""

    name = "make demo"
    detached = True

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "demo.log")
        self.config_dir = workdir / "config"
        self.config_dir.mkdir()
        config = {
            "ServerApp": {"port": self.port, "port_retries": 0, "open_browser": False},
            "IdentityProvider": {"token": self.token},
        }
        (self.config_dir / "jupyter_server_config.json").write_text(json.dumps(config))

    def command(self) -> list[str]:
        return ["make", "-C", str(ROOT), "demo"]

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["JUPYTER_CONFIG_DIR"] = str(self.config_dir)
        return env


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_serves_the_demo_notebook(tmp_path):
    demo = MakeDemoProcess(tmp_path).start(timeout=240)
    try:
        notebook = demo.rest("GET", "/api/contents/custom-messages.ipynb?content=0")
        assert notebook["type"] == "notebook"
        extensions = demo.rest("GET", "/lab/api/extensions")
        assert "beaker-server" in {e["name"] for e in extensions}
    finally:
        demo.stop()
    if os.getuid() == 0:
        assert "Running as root is not recommended" not in demo.log()
