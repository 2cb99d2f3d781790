"""caddy_apply_command: a new Caddyfile is swapped in only after the real `caddy validate` accepts it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from render.edge import Route, caddy_apply_command, caddyfile, npm_apply_command
from tests.support.shell import cloud_init_stub, stub_env

ROUTES = [Route("www.example.org", "192.168.10.10", 80)]


def _env(tmp_path: Path, cloud_init_rc: int = 0) -> dict[str, str]:
    """systemctl records what it is asked; cloud-init answers `status --wait` with the given exit code."""
    return stub_env(
        tmp_path,
        {"systemctl": f'echo "$@" >> {tmp_path}/systemctl.log', "cloud-init": cloud_init_stub(tmp_path, cloud_init_rc)},
    )


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


@pytest.mark.parametrize("rc", [0, 2])
def test_the_apply_waits_for_cloud_init_first(tmp_path: Path, rc: int) -> None:
    """On the first `up` the route command can reach the VM while cloud-init still installs Caddy: it waits."""
    path = tmp_path / "Caddyfile"
    new = caddyfile(ROUTES, "ops@example.org")
    result = subprocess.run(
        ["sh", "-c", caddy_apply_command("", str(path))],
        input=new,
        text=True,
        capture_output=True,
        env=_env(tmp_path, cloud_init_rc=rc),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cloud-init.log").read_text().splitlines()[0] == "status --wait"
    assert path.read_text() == new


@pytest.mark.parametrize("command", [caddy_apply_command, npm_apply_command])
def test_a_failed_first_boot_stops_the_apply(tmp_path: Path, command: Callable[..., str]) -> None:
    path = tmp_path / "target"
    path.write_text("old\n")
    result = subprocess.run(
        ["sh", "-c", command("", str(path))], input="new\n", text=True, capture_output=True, env=_env(tmp_path, 1)
    )
    assert result.returncode == 1
    assert "status: error" in result.stderr
    assert path.read_text() == "old\n" and not (tmp_path / "systemctl.log").exists()
