"""caddy_apply_command: a new Caddyfile is swapped in only after the real `caddy validate` accepts it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from render.edge import Route, caddy_apply_command, caddyfile

ROUTES = [Route("www.example.org", "192.168.10.10", 80)]


def _env(tmp_path: Path) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stub = bindir / "systemctl"
    stub.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/systemctl.log\n')
    stub.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "HOME": str(tmp_path)}


def test_valid_caddyfile_is_swapped_in_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "Caddyfile"
    path.write_text("old\n")
    new = caddyfile(ROUTES, "ops@example.org")
    result = subprocess.run(
        ["sh", "-c", caddy_apply_command("", str(path))], input=new, text=True, capture_output=True, env=_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert path.read_text() == new
    assert (tmp_path / "systemctl.log").read_text() == "reload caddy\n"


def test_invalid_caddyfile_is_refused_and_the_old_one_kept(tmp_path: Path) -> None:
    path = tmp_path / "Caddyfile"
    path.write_text("old\n")
    broken = caddyfile(ROUTES, "ops@example.org").replace("reverse_proxy", "reverse_proxi")
    result = subprocess.run(
        ["sh", "-c", caddy_apply_command("", str(path))],
        input=broken,
        text=True,
        capture_output=True,
        env=_env(tmp_path),
    )
    assert result.returncode != 0
    assert path.read_text() == "old\n" and not (tmp_path / "systemctl.log").exists()
