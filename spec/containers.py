"""Resolved LXC containers (setup C): like spec.platform.Vm, every id, address and placement already decided.

The loader (spec/load.py) builds these from the tenant files; components/container.py wires them. Pure data.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from spec.platform import Nic

_CHECKSUM_LEN = {"sha256": 64, "sha512": 128}
_TEMPLATE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\.tar\.(gz|xz|zst)$")


@dataclass(frozen=True)
class ContainerTemplateSpec:
    """An LXC template PVE downloads (content type `vztmpl`) once per node, checksum verified.

    Debian's templates come from PVE's appliance index (http://download.proxmox.com/images/system/); its
    `pveam available` list gives the file name and sha512sum.
    """

    url: str
    file_name: str
    checksum: str
    checksum_algorithm: str = "sha512"

    def __post_init__(self) -> None:
        length = _CHECKSUM_LEN.get(self.checksum_algorithm)
        if length is None:
            raise ValueError(f"checksum_algorithm {self.checksum_algorithm!r}: use sha256 or sha512")
        if not re.fullmatch(f"[0-9a-f]{{{length}}}", self.checksum):
            raise ValueError(f"checksum must be {length} lower-case hex digits for {self.checksum_algorithm}")
        if not _TEMPLATE_NAME_RE.match(self.file_name):
            raise ValueError(f"file_name {self.file_name!r} must be a template archive (.tar.zst/.tar.xz/.tar.gz)")
        if not self.url.startswith(("https://", "http://download.proxmox.com/")):
            raise ValueError(f"url {self.url!r}: use https (or PVE's own http://download.proxmox.com mirror)")


@dataclass(frozen=True)
class Container:
    """An LXC container with every id, address and placement decided."""

    tenant: str
    name: str
    vm_id: int
    node: str
    role: str
    cores: int
    memory_mb: int
    disk_gb: int
    nics: tuple[Nic, ...]
    ssh_keys: tuple[str, ...]
    pool_id: str
    stateful: bool
    protect: bool
    description: str | None = None
    swap_mb: int = 512
    nesting: bool = False
    """Only for containers that run Docker (compose-based extras); off otherwise."""
    unprivileged: bool = True
    """Root in the container is an unprivileged uid on the node; a privileged container needs a reason."""
    start_on_boot: bool = True

    def __post_init__(self) -> None:
        if not self.nics:
            raise ValueError(f"container {self.name}: needs at least one NIC")
        if not 100 <= self.vm_id <= 999_999_999:
            raise ValueError(f"container {self.name}: vm_id {self.vm_id} outside PVE's 100-999999999")
        if self.cores < 1 or self.memory_mb < 64 or self.disk_gb < 1 or self.swap_mb < 0:
            raise ValueError(f"container {self.name}: cores >= 1, memory_mb >= 64, disk_gb >= 1, swap_mb >= 0")

    @property
    def address(self) -> ipaddress.IPv4Address:
        return self.nics[0].ipv4.ip

    @property
    def tags(self) -> list[str]:
        """PVE keeps tags sorted; so do we, or every refresh shows a diff."""
        return sorted({"proxcloud", "lxc", self.tenant, self.role})
