"""Tenant documents and stack settings to load in a temporary folder: the model tests' builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from model.load import load_platform

CONFIG: dict[str, Any] = {
    "domain": "dev.example.net",
    "nodes": [{"name": "pve1", "vtep": "10.99.0.11"}, {"name": "pve2", "vtep": "10.99.0.12"}],
    "underlay": {"cidr": "10.99.0.0/24", "mtu": 1500, "vlan": 99},
    "datastores": {"vm": "local-zfs", "snippets": "local", "images": "local"},
}


def person(tenant_name: str) -> str:
    """A last name per tenant (letters only): a PVE user belongs to one tenant."""
    return "".join("abcdefghij"[int(c)] if c.isdigit() else c for c in tenant_name if c != "-")


def tenant(name: str = "acme", number: int = 1, octet: int = 10, **extra: Any) -> dict[str, Any]:
    data = {
        "name": name,
        "number": number,
        "access": "self-service",
        "users": [{"name": f"ada.{person(name)}"}],
        "zone": {"id": name[:8]},
        "vnets": [
            {"id": f"{name[:5]}web", "cidr": f"192.168.{octet}.0/24"},
            {"id": f"{name[:5]}db", "cidr": f"192.168.{octet + 1}.0/24"},
        ],
        "storages": [f"tank-{name}"],
    }
    data.update(extra)
    return data


def load(
    tmp_path: Path,
    tenants: list[dict[str, Any]] | dict[str, str],
    config: dict[str, Any] | None = None,
    keep: bool = False,
):
    """Write the tenant files (replacing the last call's, unless `keep`) and load the platform."""
    d = tmp_path / "tenants"
    d.mkdir(exist_ok=True)
    for old in [] if keep else d.glob("*.yaml"):
        old.unlink()
    if isinstance(tenants, dict):
        for fname, text in tenants.items():
            (d / fname).write_text(text)
    else:
        for i, t in enumerate(tenants):  # tenants/<name>.yaml; a name given twice (or none) gets t<i>.yaml
            name = t.get("name")
            fname = f"{name}.yaml" if isinstance(name, str) and not (d / f"{name}.yaml").exists() else f"t{i}.yaml"
            (d / fname).write_text(yaml.safe_dump(t))
    return load_platform("proxcloud", "dev", config or CONFIG, tmp_path)


IMAGE = {
    "url": "https://cloud.debian.org/images/cloud/bookworm/x/debian-12-genericcloud-amd64.qcow2",
    "checksum": "0" * 64,
    "fileName": "debian-12.qcow2",
}
HOSTING = {"ipv4Pool": "10.200.0.0/16", "ipv6Pool": "2001:db8:200::/48"}
BACKUP = {
    "pbs": {
        "server": "pbs.example.net",
        "datastore": "offsite",
        "fingerprint": ":".join(["ab"] * 32),
        "username": "pve-backup@pbs",
    },
    "window": {"start": "22:00", "end": "05:00"},
    "start": "01:30",
    "mailto": "ops@example.net",
}
EDGE = {
    "publicIpv4": "203.0.113.10/24",
    "gateway4": "203.0.113.1",
    "publicIpv6": "2001:db8:1::10/64",
    "gateway6": "2001:db8:1::1",
}
CFG = {**CONFIG, "image": IMAGE, "hosting": HOSTING, "backup": BACKUP, "edge": EDGE}


def vm(**kw: Any) -> dict[str, Any]:
    return {"name": "web1", "slot": 1, **kw}
