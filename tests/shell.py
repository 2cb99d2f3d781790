"""Test helper: shellcheck a rendered script (the real Debian shellcheck, installed by `make test`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def shellcheck(text: str, tmp_path: Path, name: str, shell: str = "bash") -> subprocess.CompletedProcess[str]:
    exe = shutil.which("shellcheck")
    assert exe, "shellcheck is not installed: run `make test`, which installs deps/apt-*.txt"
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([exe, "-S", "warning", "-s", shell, str(path)], capture_output=True, text=True, check=False)
