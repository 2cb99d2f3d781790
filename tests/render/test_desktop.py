"""The admin desktop VM: real `cloud-init schema`, and what an operator at the Proxmox console expects."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml

from render.cloudinit import render_user_data
from render.desktop import SCREEN_LOCKERS, desktop_cloud_config
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@example"


def doc(**kw: str) -> dict[str, object]:
    return yaml.safe_load(render_user_data(desktop_cloud_config("debian-desktop", (KEY,), **kw)))


def test_desktop_user_data_passes_cloud_init_schema(tmp_path: Path) -> None:
    assert_valid_cloud_config(
        render_user_data(desktop_cloud_config("debian-desktop", (KEY,), keyboard_layout="de")), tmp_path
    )


def test_schema_rejects_a_broken_desktop_user(tmp_path: Path) -> None:
    d = doc()
    d["users"][1]["lock_passwd"] = "maybe"  # type: ignore[index]
    result = cloud_init_schema("#cloud-config\n" + yaml.safe_dump(d), tmp_path)
    assert result.returncode != 0 and "lock_passwd" in result.stdout + result.stderr


def console_user_problems(d: dict[str, object]) -> list[str]:
    """What would make the console user more than an unprivileged autologin seat."""
    users = {u["name"]: u for u in d["users"]}  # type: ignore[attr-defined]
    problems = []
    desk = users.get("desk")
    if desk is None:
        return ["no console user"]
    if "sudo" in desk or "sudo" in desk.get("groups", []):
        problems.append("console user has sudo")
    if desk.get("ssh_authorized_keys"):
        problems.append("console user reachable over SSH")
    if desk.get("lock_passwd") is not True or "passwd" in desk or "plain_text_passwd" in desk:
        problems.append("console user has a password")
    return problems


def test_console_user_is_unprivileged_autologin() -> None:
    d = doc()
    assert console_user_problems(d) == []
    files = {f["path"]: f["content"] for f in d["write_files"]}  # type: ignore[attr-defined]
    ini = configparser.ConfigParser()
    ini.read_string(files["/etc/lightdm/lightdm.conf.d/50-proxcloud-autologin.conf"])
    assert ini["Seat:*"]["autologin-user"] == "desk"
    assert d["users"][0]["name"] == "ops" and d["ssh_pwauth"] is False  # type: ignore[index]


def test_console_user_check_sees_privileges() -> None:
    d = doc()
    d["users"][1]["groups"] = ["audio", "sudo"]  # type: ignore[index]
    d["users"][1]["ssh_authorized_keys"] = [KEY]  # type: ignore[index]
    assert console_user_problems(d) == ["console user has sudo", "console user reachable over SSH"]


def test_desktop_packages_and_boot_target() -> None:
    d = doc()
    for pkg in ("xfce4", "lightdm", "spice-vdagent", "qemu-guest-agent"):
        assert pkg in d["packages"]  # type: ignore[operator]
    assert ["apt-get", "-y", "purge", *SCREEN_LOCKERS] in d["runcmd"]  # type: ignore[operator]
    assert ["systemctl", "set-default", "graphical.target"] in d["runcmd"]  # type: ignore[operator]
    assert 'XKBLAYOUT="de"' in next(
        f["content"]
        for f in doc(keyboard_layout="de")["write_files"]  # type: ignore[attr-defined]
        if f["path"] == "/etc/default/keyboard"
    )


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"hostname": "Debian_Desktop"}, "hostname"),
        ({"console_user": "root"}, "console_user"),
        ({"keyboard_layout": "de; rm"}, "keyboard"),
    ],
)
def test_bad_desktop_input_is_refused(kw: dict[str, str], match: str) -> None:
    args = {"hostname": "debian-desktop", **kw}
    with pytest.raises(ValueError, match=match):
        desktop_cloud_config(args.pop("hostname"), (KEY,), **args)
