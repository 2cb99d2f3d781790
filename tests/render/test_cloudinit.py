"""The cloud-init building block: real `cloud-init schema` acceptance, and the safety conventions."""

from __future__ import annotations

from pathlib import Path

import yaml

from render.cloudinit import CloudConfig, WriteFile, docker_apt_source, render_user_data
from tests.support.cloudinit_schema import cloud_init_schema
from tests.support.keys import KEY


def _cfg(**kw: object) -> CloudConfig:
    base: dict[str, object] = {"hostname": "web1", "ssh_keys": (KEY,)}
    base.update(kw)
    return CloudConfig(**base)  # type: ignore[arg-type]


def test_full_config_passes_cloud_init_schema(tmp_path: Path) -> None:
    text = render_user_data(
        _cfg(
            fqdn="web1.example.net",
            packages=("nginx",),
            write_files=(WriteFile("/etc/motd", "managed by proxcloud\nline 2\n"),),
            runcmd=(("systemctl", "restart", "nginx"), "echo done"),
            apt_sources=docker_apt_source(),
        )
    )
    assert text.startswith("#cloud-config\n")
    result = cloud_init_schema(text, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_fails_on_a_broken_config(tmp_path: Path) -> None:
    broken = render_user_data(_cfg()).replace("ssh_pwauth: false", "ssh_pwauth: [not, a, bool]")
    assert cloud_init_schema(broken, tmp_path).returncode != 0


def test_no_password_logins_and_agent(tmp_path: Path) -> None:
    doc = yaml.safe_load(render_user_data(_cfg()))
    assert doc["ssh_pwauth"] is False and doc["disable_root"] is True
    assert doc["users"][0]["lock_passwd"] is True
    assert doc["users"][0]["ssh_authorized_keys"] == [KEY]
    assert "qemu-guest-agent" in doc["packages"]
    no_agent = yaml.safe_load(render_user_data(_cfg(guest_agent=False)))
    assert "qemu-guest-agent" not in no_agent["packages"]
