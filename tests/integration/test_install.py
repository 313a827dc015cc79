"""The built wheel, installed into a fresh virtual environment, enables both extensions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.install, pytest.mark.timeout(900)]


def _run(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _source_copy(tmp: Path) -> Path:
    """The tracked sources, so the wheel build cannot disturb this checkout's bundle."""
    files = _run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    copy = tmp / "src"
    for name in files.splitlines():
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    # Reuse the installed npm packages: the build itself is what is under test.
    (copy / "labextension" / "node_modules").symlink_to(ROOT / "labextension" / "node_modules")
    return copy


def test_wheel_installs_and_enables_both_extensions(tmp_path: Path) -> None:
    source = _source_copy(tmp_path)
    bin_path = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_path}{os.pathsep}{os.environ['PATH']}")
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "-w", tmp_path / "dist", source, env=env,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("beaker_server-*.whl")

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    fresh_env = {
        "PATH": f"{fresh / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "home" / ".jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    _run(fresh / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, env=fresh_env)

    def jupyter(*args: str) -> str:
        return _run(fresh / "bin" / "jupyter", *args, env=fresh_env)

    servers = jupyter("server", "extension", "list")
    assert "beaker_server enabled" in _plain(servers)
    assert "beaker_server 0.1.0 OK" in _plain(servers)
    labs = jupyter("labextension", "list")
    assert "beaker-server v0.1.0 enabled OK" in _plain(labs)

    jupyter("server", "extension", "disable", "--sys-prefix", "beaker_server")
    assert "beaker_server disabled" in _plain(jupyter("server", "extension", "list"))
    jupyter("server", "extension", "enable", "--sys-prefix", "beaker_server")
    assert "beaker_server enabled" in _plain(jupyter("server", "extension", "list"))


def _plain(text: str) -> str:
    """Output without terminal colours and repeated spaces."""
    import re

    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())
