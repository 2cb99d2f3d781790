"""The resolved Platform: every id, VNI, address and name decided, ready for the components to wire."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from spec.models import AccessProfile, StackSettings, UserSpec


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


@dataclass(frozen=True)
class Tenant:
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

    @property
    def pool_id(self) -> str:
        return self.name

    @property
    def group_id(self) -> str:
        return f"{self.name}-users"

    def role_id(self, purpose: str) -> str:
        """Custom role ids are cluster-global, so they carry the tenant name."""
        return f"{self.name}-{purpose}"


TenantSpec = Tenant  # the name components use, beside their own Tenant component


@dataclass(frozen=True)
class Platform:
    """Everything one stack deploys."""

    project: str
    stack: str
    settings: StackSettings
    tenants: tuple[Tenant, ...]

    @property
    def vteps(self) -> list[str]:
        return [str(n.vtep) for n in self.settings.nodes]

    @property
    def node_names(self) -> list[str]:
        return [n.name for n in self.settings.nodes]
