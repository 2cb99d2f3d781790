"""Test helper: run the real `cloud-init schema` on rendered user data (every renderer's tests use it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def cloud_init_schema(text: str, tmp_path: Path, name: str = "user-data.yaml") -> subprocess.CompletedProcess[str]:
    """Returns the completed `cloud-init schema --config-file` run (rc 0 = valid)."""
    exe = shutil.which("cloud-init")
    assert exe, "cloud-init is not installed: run `make test`, which installs deps/apt-*.txt"
    path = tmp_path / name
    path.write_text(text)
    return subprocess.run([exe, "schema", "--config-file", str(path)], capture_output=True, text=True, check=False)


def assert_valid_cloud_config(text: str, tmp_path: Path, name: str = "user-data.yaml") -> None:
    result = cloud_init_schema(text, tmp_path, name)
    assert result.returncode == 0, f"cloud-init schema rejected {name}:\n{result.stdout}{result.stderr}\n{text}"
