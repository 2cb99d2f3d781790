"""Test helper: shellcheck a rendered script (the real Debian shellcheck, installed by `make test`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def shellcheck(
    text: str, tmp_path: Path, name: str = "script.sh", shell: str = "bash", severity: str = "warning"
) -> subprocess.CompletedProcess[str]:
    """`shellcheck -S <severity> -s <shell>` on `text` written to `tmp_path/name` (severity `style`: every finding)."""
    exe = shutil.which("shellcheck")
    assert exe, "shellcheck is not installed: run `make test`, which installs deps/apt-*.txt"
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([exe, "-S", severity, "-s", shell, str(path)], capture_output=True, text=True, check=False)


def stub_env(tmp_path: Path, stubs: dict[str, str]) -> dict[str, str]:
    """The environment with stand-in commands first on PATH: name -> the body of a /bin/sh script."""
    import os

    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    for name, body in stubs.items():
        stub = bindir / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "HOME": str(tmp_path)}


def cloud_init_stub(tmp_path: Path, rc: int = 0) -> str:
    """A stand-in for `cloud-init` that logs its arguments and answers `status --wait` with `rc` (this machine's
    own cloud-init would wait forever for a boot that never runs)."""
    return (
        f'echo "$@" >> {tmp_path}/cloud-init.log; [ "$2" = --long ] && echo "status: error"; '
        f'[ "$2" = --wait ] && exit {rc}; exit 0'
    )
