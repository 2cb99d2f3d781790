"""The resolved Platform: every id, VNI, address and name decided, ready for the components to wire."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model.settings import StackSettings
from model.tenant import AccessProfile, UserSpec
from services import KEYS, kind_of

if TYPE_CHECKING:
    from model.containers import Container


@dataclass(frozen=True)
class DhcpPool:
    """Addresses the tenant's router hands out on a VNet (dnsmasq), and for how long."""

    start: ipaddress.IPv4Address
    end: ipaddress.IPv4Address
    lease_time: str

    def __contains__(self, address: object) -> bool:
        return isinstance(address, ipaddress.IPv4Address) and self.start <= address <= self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


@dataclass(frozen=True)
class Vnet:
    """A VNet with its allocated VNI and its single IPv4 subnet."""

    id: str
    zone: str
    vni: int
    cidr: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    mtu: int
    description: str | None
    dhcp: DhcpPool | None = None  # served by the tenant's router (render/dhcp.py)


def eui64_link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 link-local address the kernel (and systemd-networkd's default) derives from a MAC address."""
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    return ipaddress.IPv6Address(bytes([0xFE, 0x80, 0, 0, 0, 0, 0, 0, *eui]))


@dataclass(frozen=True)
class Nic:
    """One guest NIC: its bridge (a VNet), static addresses and gateways. The PVE firewall flag is always on."""

    bridge: str
    ipv4: ipaddress.IPv4Interface | None  # None: an unaddressed trunk (the edge's VLANs live on it)
    gateway4: ipaddress.IPv4Address | None
    mtu: int
    mac: str
    ipv6: ipaddress.IPv6Interface | None = None
    gateway6: ipaddress.IPv6Address | None = None
    vlan: int | None = None
    routed6: ipaddress.IPv6Network | None = None  # setup B: the /64 the edge routes to this NIC's link-local

    @property
    def link_local(self) -> ipaddress.IPv6Address:
        """The NIC's EUI-64 link-local address (where setup B routes the VM's /64)."""
        return eui64_link_local(self.mac)


@dataclass(frozen=True)
class Vm:
    """A cloud-init VM with every id, address and placement decided."""

    tenant: str
    name: str
    slot: int
    vm_id: int
    node: str
    role: str
    cores: int
    memory_mb: int
    disk_gb: int
    nics: tuple[Nic, ...]
    ssh_keys: tuple[str, ...]
    guest_agent: bool
    stateful: bool
    protect: bool
    description: str | None
    pool_id: str
    stateless_reason: str | None = None
    keep_apart_from: tuple[str, ...] = ()
    source: str = ""
    """The field of the tenant file the VM comes from (`vms[0]`, `monitoring.influxdb`, `proxy`), for messages."""
    source_fields: tuple[tuple[str, str], ...] = ()
    """Attributes written elsewhere than `<source>.<attribute>` (a service's `vnet`, a derived VM ID's `slot`)."""
    spread: tuple[str, ...] = ()
    """The nodes its automatic placement and its replica node choose from, in stack order (NodeSpec
    place_tenants_from); empty: every node."""

    @property
    def address(self) -> ipaddress.IPv4Address:
        assert self.nics[0].ipv4 is not None
        return self.nics[0].ipv4.ip

    def field(self, attribute: str) -> str:
        """Where the user wrote `attribute` of this VM, as the path in its tenant file."""
        return source_field(self.source, self.source_fields, attribute)

    @property
    def tags(self) -> list[str]:
        """PVE keeps tags sorted; so do we, or every refresh shows a diff."""
        return sorted({"proxcloud", self.tenant, self.role})


def source_field(source: str, fields: tuple[tuple[str, str], ...], attribute: str) -> str:
    """`<source>.<attribute>`, unless the attribute comes from another field."""
    return dict(fields).get(attribute, f"{source}.{attribute}" if source else attribute)


@dataclass(frozen=True)
class TenantSpec:
    """One tenant, with the PVE object ids it owns."""

    name: str
    number: int
    description: str | None
    access: AccessProfile
    users: tuple[UserSpec, ...]
    zone_id: str
    zone_mtu: int
    vnets: tuple[Vnet, ...]
    storages: tuple[str, ...]
    source: str  # the tenant file, for messages
    vms: tuple[Vm, ...] = ()
    containers: tuple[Container, ...] = ()
    backup_allowance_gb: int | None = None
    retiring: bool = False  # protection cleared on the next `up`, before the file is removed
    storage_quota_gb: int = 200  # TenantFile.storage_quota_gb: the quota of its own storages (model/storage.py)
    services: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The settings of each service kind the tenant asks for, by its key (services/__init__.py)."""

    def __getattr__(self, name: str) -> Any:
        # A service's settings read as `t.humhub`, None when the tenant has none (as on its tenant file).
        if name in KEYS:
            return self.__dict__.get("services", {}).get(name)
        raise AttributeError(name)

    @property
    def guests(self) -> tuple[Vm | Container, ...]:
        """VMs and containers."""
        return (*self.vms, *self.containers)

    @property
    def service_vm_names(self) -> set[str]:
        """VMs a service component builds, not the tenant's plain VM loop."""
        return {v.name for v in self.vms if kind_of(v.source) is not None}

    def guest_at(self, source: str) -> Vm | Container:
        """The guest written at `source` of the tenant file (`zabbix.server`, `wordpress.web`)."""
        return next(g for g in self.guests if g.source == source)

    def container(self, name: str) -> Container:
        return next(c for c in self.containers if c.name == name)

    def vm(self, name: str) -> Vm:
        return next(v for v in self.vms if v.name == name)

    @property
    def pool_id(self) -> str:
        return self.name

    @property
    def group_id(self) -> str:
        return f"{self.name}-users"

    def role_id(self, purpose: str) -> str:
        """Custom role ids are cluster-global, so they carry the tenant name."""
        return f"{self.name}-{purpose}"


@dataclass(frozen=True)
class HostedNet:
    """A VLAN on the transit VNet: a /30 between the provider edge and one VM, and a /64 routed to the VM."""

    name: str  # <tenant>-<vm>
    vlan: int
    ipv4: ipaddress.IPv4Network
    ipv6: ipaddress.IPv6Network  # routed to the VM's link-local: nothing of it is on the link
    vm_link_local: ipaddress.IPv6Address  # EUI-64 of the VM's fixed MAC

    @property
    def vm_address(self) -> ipaddress.IPv4Address:
        return self.ipv4.network_address + 2


@dataclass(frozen=True)
class Forward:
    """A port of the edge's primary address DNATed to a hosted VM."""

    tenant: str
    proto: str
    public_port: int
    target: ipaddress.IPv4Address
    target_port: int
    why: str


@dataclass(frozen=True)
class Secondary:
    """A tenant's secondary public address: 80/443 DNATed to its proxy (setup D)."""

    tenant: str
    address: ipaddress.IPv4Address
    target: ipaddress.IPv4Address


@dataclass(frozen=True)
class EdgePlan:
    """The provider edge router and everything it routes."""

    vm: Vm
    hosted: tuple[HostedNet, ...]
    forwards: tuple[Forward, ...]
    secondaries: tuple[Secondary, ...]


@dataclass(frozen=True)
class Platform:
    """Everything one stack deploys."""

    project: str
    stack: str
    settings: StackSettings
    tenants: tuple[TenantSpec, ...]
    edge: EdgePlan | None = None

    @property
    def vteps(self) -> list[str]:
        return [str(n.vtep) for n in self.settings.nodes]

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.settings.nodes]
