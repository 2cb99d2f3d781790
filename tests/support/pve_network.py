"""Test helper: a guest's network as PVE and cloud-init set it up, from the VM's planned NICs and ip configs.

`nocloud_network` is a stand-in of qemu-server's `PVE::QemuServer::Cloudinit::nocloud_network` (the NoCloud
`network-config` v1 PVE writes for a Linux guest: one `physical` entry `eth<N>` by MAC per NIC with an
`ipconfig<N>`, `static`/`static6` subnets with their gateways, one `nameserver` entry). `guest_networkd` feeds it to
the real cloud-init's renderer (`cloud-init devel net-convert ... -O networkd`, Debian's cloud-init 22.4), which
writes the systemd-networkd files the guest boots with.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def nocloud_network(macs: Sequence[str], ip_configs: Sequence[dict[str, Any]], nameservers: Sequence[str]) -> str:
    """`ip_configs[i]` as the plan's `initialization.ipConfigs[i]` ({"ipv4": {address, gateway}, "ipv6": {...}})."""
    lines = ["version: 1", "config:"]
    for index, (mac, cfg) in enumerate(zip(macs, ip_configs, strict=False)):
        lines += ["    - type: physical", f"      name: eth{index}", f"      mac_address: '{mac.lower()}'"]
        lines.append("      subnets:")
        v4, v6 = cfg.get("ipv4") or {}, cfg.get("ipv6") or {}
        if v4.get("address"):
            iface = ipaddress.IPv4Interface(v4["address"])
            lines += ["      - type: static", f"        address: '{iface.ip}'", f"        netmask: '{iface.netmask}'"]
            if v4.get("gateway"):
                lines.append(f"        gateway: '{v4['gateway']}'")
        if v6.get("address"):
            lines += ["      - type: static6", f"        address: '{v6['address']}'"]
            if v6.get("gateway"):
                lines.append(f"        gateway: '{v6['gateway']}'")
    if nameservers:
        lines += ["    - type: nameserver", "      address:", *(f"      - '{n}'" for n in nameservers)]
    return "\n".join(lines) + "\n"


def guest_networkd(network_config: str, tmp_path: Path) -> dict[str, str]:
    """The systemd-networkd files cloud-init renders from a network-config (file name -> text)."""
    exe = shutil.which("cloud-init")
    assert exe, "cloud-init is not installed: run `make test`, which installs deps/apt-*.txt"
    source, out = tmp_path / "network-config", tmp_path / "rendered"
    source.write_text(network_config)
    cmd = [exe, "devel", "net-convert", "-p", str(source), "-k", "yaml", "-d", str(out), "-D", "debian", "-O"]
    result = subprocess.run([*cmd, "networkd"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return {p.name: p.read_text() for p in sorted((out / "etc/systemd/network").glob("*.network"))}


def apply_networkd(ns: str, files: dict[str, str], links: set[str]) -> None:
    """Configure the namespace's `links` as systemd-networkd files say: [Network]/[Address] Address=, [Network]
    Gateway= and every [Route] (Destination, default when absent, via Gateway). Other keys are not applied."""
    from tests.support.netns import run

    for text in files.values():
        match = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Name=")]
        if not match or match[0] not in links:
            continue
        link = match[0]
        section, route = "", {}
        for line in [*text.splitlines(), "[end]"]:
            if line.startswith("["):
                if route:
                    dest = route.get("Destination", "default")
                    run("ip", "-n", ns, "route", "add", dest, "via", route["Gateway"], "dev", link)
                section, route = line.strip("[]"), {}
            elif "=" in line:
                key, value = line.split("=", 1)
                if section in ("Network", "Address") and key == "Address":
                    run("ip", "-n", ns, "addr", "add", value, "dev", link, *(["nodad"] if ":" in value else []))
                elif section == "Network" and key == "Gateway":
                    run("ip", "-n", ns, "route", "add", "default", "via", value, "dev", link)
                elif section == "Route":
                    route[key] = value
