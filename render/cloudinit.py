"""The cloud-init building block: `#cloud-config` user data for every VM the platform creates.

Service renderers (HumHub, edge, monitoring, ...) describe what they need as a CloudConfig; this module turns
it into user data. Conventions for every VM: an admin user with SSH keys only (no password logins, root
login off), the QEMU guest agent when the VM has the agent enabled, unattended security upgrades.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import yaml

# Docker's own apt repository for Debian 12 (docs.docker.com/engine/install/debian); key fingerprint as published.
DOCKER_KEY_FINGERPRINT = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
ADMIN_USER = "ops"
"""The admin user of every VM (SSH keys only; components/guest_exec.py AdminKeys keeps its keys current)."""
DOCKER_PACKAGES = ("docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin")


@dataclass(frozen=True)
class WriteFile:
    """A file cloud-init writes before running commands."""

    path: str
    content: str
    permissions: str = "0644"
    owner: str = "root:root"


@dataclass(frozen=True)
class CloudConfig:
    """What a VM needs from cloud-init; rendered by `render_user_data`."""

    hostname: str
    ssh_keys: tuple[str, ...]
    fqdn: str | None = None
    admin_user: str = ADMIN_USER
    packages: tuple[str, ...] = ()
    write_files: tuple[WriteFile, ...] = ()
    runcmd: tuple[str | tuple[str, ...], ...] = ()
    apt_sources: dict[str, dict[str, str]] = field(default_factory=dict)
    guest_agent: bool = True
    timezone: str = "UTC"
    extra_users: tuple[dict[str, Any], ...] = ()
    """More cloud-init `users` entries after the admin user (e.g. a desktop's unprivileged console user)."""


@dataclass(frozen=True)
class CloudFragment:
    """Packages, files and commands one service adds to a VM's CloudConfig (`merge` appends them)."""

    packages: tuple[str, ...] = ()
    write_files: tuple[WriteFile, ...] = ()
    runcmd: tuple[str | tuple[str, ...], ...] = ()

    def merge(self, cfg: CloudConfig) -> CloudConfig:
        return replace(
            cfg,
            packages=tuple(sorted(set(cfg.packages) | set(self.packages))),
            write_files=cfg.write_files + self.write_files,
            runcmd=cfg.runcmd + self.runcmd,
        )


def docker_apt_source() -> dict[str, dict[str, str]]:
    """Docker's repository as a cloud-init apt source (key fetched by fingerprint, pinned to signed-by)."""
    return {
        "docker.list": {
            "source": "deb [arch=amd64 signed-by=$KEY_FILE] https://download.docker.com/linux/debian bookworm stable",
            "keyid": DOCKER_KEY_FINGERPRINT,
            "keyserver": "hkps://keyserver.ubuntu.com",
        }
    }


def user_data(cfg: CloudConfig) -> dict[str, Any]:
    """The cloud-config as data (tests inspect it; `render_user_data` serialises it)."""
    packages = list(cfg.packages)
    runcmd: list[Any] = []
    if cfg.guest_agent:
        packages.append("qemu-guest-agent")
        runcmd.append(["systemctl", "enable", "--now", "qemu-guest-agent"])
    packages.append("unattended-upgrades")
    runcmd += [list(c) if isinstance(c, tuple) else c for c in cfg.runcmd]
    doc: dict[str, Any] = {
        "hostname": cfg.hostname,
        "manage_etc_hosts": True,
        "timezone": cfg.timezone,
        "disable_root": True,
        "ssh_pwauth": False,
        "users": [
            {
                "name": cfg.admin_user,
                "groups": ["sudo"],
                "shell": "/bin/bash",
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": True,
                "ssh_authorized_keys": list(cfg.ssh_keys),
            },
            *(dict(u) for u in cfg.extra_users),
        ],
        "package_update": True,
        "package_upgrade": True,
        "packages": sorted(set(packages)),
    }
    if cfg.fqdn:
        doc["fqdn"] = cfg.fqdn
    if cfg.apt_sources:
        doc["apt"] = {"sources": dict(cfg.apt_sources)}
    if cfg.write_files:
        doc["write_files"] = [
            {"path": f.path, "content": f.content, "permissions": f.permissions, "owner": f.owner}
            for f in cfg.write_files
        ]
    if runcmd:
        doc["runcmd"] = runcmd
    return doc


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so scripts and configs stay readable in the snippet."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def render_user_data(cfg: CloudConfig) -> str:
    """`#cloud-config` text for a FileLegacy snippet."""
    return "#cloud-config\n" + yaml.dump(user_data(cfg), Dumper=_Dumper, sort_keys=False, width=1000)
