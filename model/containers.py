"""Resolved LXC containers (setup C): like model.platform.Vm, every id, address and placement already decided.

The loader (model/load.py) builds these from the tenant files; components/container.py wires them. Pure data.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from model.platform import Nic, source_field
from model.types import TEMPLATE_FILE, TEMPLATE_HTTP_HOSTS, check_checksum, check_url


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
        # The same rules as the stack config's proxcloud:containerTemplate (model.models), which refuses bad values
        # at load with their field; here for templates built in code.
        check_checksum(self.checksum, self.checksum_algorithm)
        if not TEMPLATE_FILE.fullmatch(self.file_name):
            raise ValueError(f"file_name {self.file_name!r} must be a template archive (.tar.zst/.tar.xz/.tar.gz)")
        check_url(self.url, http_hosts=TEMPLATE_HTTP_HOSTS)


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
    source: str = ""
    """The field of the tenant file the container comes from (`containers[0]`, `wordpress.web`), for messages."""
    source_fields: tuple[tuple[str, str], ...] = ()
    spread: tuple[str, ...] = ()
    """The nodes its automatic placement and its replica node choose from (as model.platform.Vm.spread)."""

    def field(self, attribute: str) -> str:
        """Where the user wrote `attribute` of this container, as the path in its tenant file."""
        return source_field(self.source, self.source_fields, attribute)

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
