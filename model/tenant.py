"""The tenant file format (`tenants/*.yaml`): the platform's own fields, and one field per service kind of the
registry (services/__init__.py). Rules that span files (uniqueness, overlaps, VNI clashes) live in `model.load`."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import Field, create_model, field_validator, model_validator

from model.guests import ContainerSpec, Description, Guest, Reason, Strict, VmSpec
from model.settings import VNI_MAX, VNI_MIN
from model.types import (
    VNET_ALIAS,
    Email,
    HostLabel,
    Invalid,
    IPv4,
    IPv4Cidr,
    Pattern,
    PersonName,
    SdnId,
    StorageId,
    TenantName,
    Text,
)
from services import KINDS

VNIS_PER_TENANT = 100  # default VNI = tenant number * 100 + position of the VNet (1-based)


# The provider's rule (bpg v0.111.1 fwprovider/cluster/sdn/vnet/resource.go, `alias`), stricter than PVE's own
# (no ':' ',' '/'); checked again over the planned graph by proofs/conformance.py
VnetAlias = Pattern(VNET_ALIAS, "VNet description", "use only letters, digits, spaces and . _ - ( )", 256)


class AccessProfile(StrEnum):
    """What a tenant's people may do in PVE."""

    OPERATOR = "operator"  # setup B: power, console, ISOs on VMs the provider made; no hardware changes
    SELF_SERVICE = "self-service"  # setup D: build and run own VMs in the own pool, zone and datastores


class UserSpec(Strict):
    """One person's PVE account, `firstname.lastname@pve`, member of the tenant's group."""

    name: PersonName = Field(description="firstname.lastname, lower case; becomes the PVE user `<name>@pve`.")
    email: Email | None = Field(default=None, description="Contact address, shown in PVE.")
    first_name: Text(64, what="first name") | None = Field(  # type: ignore[valid-type]
        default=None, description="Defaults to the part before the dot, capitalised."
    )
    last_name: Text(64, what="last name") | None = Field(  # type: ignore[valid-type]
        default=None, description="Defaults to the part after the dot, capitalised."
    )

    @property
    def user_id(self) -> str:
        return f"{self.name}@pve"


class ZoneSpec(Strict):
    """The tenant's own VXLAN SDN zone."""

    id: SdnId = Field(description="PVE SDN zone id, 2-8 characters [a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9].")
    mtu: int | None = Field(
        default=None,
        ge=576,
        le=9000,
        description="VNet MTU; defaults to the underlay MTU minus 50 (VXLAN overhead).",
    )


LEASE_TIME = re.compile(r"([1-9][0-9]*)([mhdw]?)")  # dnsmasq's lease time: seconds, or minutes/hours/days/weeks


LEASE_SECONDS = {"": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DhcpSpec(Strict):
    """A DHCP range on a tenant VNet, served by the tenant's router (its proxy) with itself as gateway and resolver.

    Checked at load against the VNet (inside its subnet, not the gateway) and every static address the spec gives a
    guest there (model/dhcp.py)."""

    start: IPv4 = Field(description="First address handed out.")
    end: IPv4 = Field(description="Last address handed out (at least start).")
    lease_time: str = Field(
        default="12h", description="Lease time: seconds, or a number with m, h, d or w (dnsmasq; at least 2m)."
    )

    @field_validator("lease_time")
    @classmethod
    def _lease(cls, v: str) -> str:
        match = LEASE_TIME.fullmatch(v)
        if match is None or int(match[1]) * LEASE_SECONDS[match[2]] < 120:
            raise ValueError(f"'{v}' is not a lease time of at least two minutes (e.g. 1h, 12h, 7d)")
        return v

    @model_validator(mode="after")
    def _order(self) -> DhcpSpec:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class VnetSpec(Strict):
    """One overlay network of the tenant, with one IPv4 subnet."""

    id: SdnId = Field(description="PVE VNet id (also the bridge name guests attach to), 2-8 characters.")
    cidr: IPv4Cidr = Field(description="IPv4 subnet of this VNet, e.g. 192.168.10.0/24.")
    gateway: IPv4 | None = Field(
        default=None, description="Gateway address inside the subnet; defaults to the first host address."
    )
    vni: int | None = Field(
        default=None,
        ge=VNI_MIN,
        le=VNI_MAX,
        description="VXLAN network identifier; defaults to tenant number * 100 + the VNet's position (1-based).",
    )
    description: VnetAlias | None = Field(
        default=None,
        description="Shown as the VNet alias in PVE: letters, digits, spaces and . _ - ( ), at most 256 characters.",
    )
    dhcp: DhcpSpec | None = Field(
        default=None,
        description="DHCP range served by the tenant's router (setup D: for the tenant's own VMs); none when omitted.",
    )

    @model_validator(mode="after")
    def _gateway_inside(self) -> VnetSpec:
        if self.cidr.prefixlen > 30:
            raise Invalid(
                f"cidr {self.cidr} leaves no room for a gateway and hosts", "use a /30 or larger network", ["cidr"]
            )
        if self.gateway is not None and (
            self.gateway not in self.cidr or self.gateway in (self.cidr.network_address, self.cidr.broadcast_address)
        ):
            raise Invalid(
                f"gateway {self.gateway} is not a host address inside {self.cidr}",
                f"use an address of {self.cidr} other than its first and last, or leave gateway out",
                ["gateway"],
            )
        return self


class ForwardSpec(Strict):
    """An IPv4 port forward from the provider edge's primary address to a hosted VM (setup B)."""

    proto: Literal["tcp", "udp"] = Field(description="Protocol.")
    public_port: int = Field(ge=1, le=65535, description="Port on the edge's primary public address.")
    vm: HostLabel = Field(description="Name of a VM of this tenant on a dedicated network.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port on the VM; defaults to public_port.")
    why: Reason = Field(description="Why this port is open (every allowed port is justified).")


class _TenantFields(Strict):
    """A tenant: one `tenants/<name>.yaml` file. Format version 1."""

    name: TenantName = Field(
        description="Tenant id: lower case letters, digits and '-'; names the pool, group and roles, and the file "
        "(tenants/<name>.yaml)."
    )
    number: int = Field(
        ge=1,
        le=9999,
        description="Stable tenant number, unique per stack; seeds default VNIs. Never change it.",
    )
    description: Description | None = Field(default=None, description="Free text, shown as the pool comment in PVE.")
    access: AccessProfile = Field(strict=False, description="`operator` (setup B) or `self-service` (setup D).")
    users: list[UserSpec] = Field(default_factory=list, description="The tenant's people.")
    zone: ZoneSpec = Field(description="The tenant's VXLAN zone.")
    vnets: list[VnetSpec] = Field(default_factory=list, description="The tenant's overlay networks.")
    storages: list[StorageId] = Field(
        default_factory=list, description="Datastores the tenant may allocate disks on (self-service)."
    )
    storage_quota_gb: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="ZFS quota of the tenant's own dataset rpool/tenants/<name> on each node: bounds its ISO "
        "storage <name>-iso and (self-service) its disk storage <name>-disks together (docs/security.md).",
    )
    vms: list[VmSpec] = Field(default_factory=list, description="Cloud-init VMs the provider creates in the pool.")
    backup_allowance_gb: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Agreed backup/ISO allowance (setup B: 150 GB per organisation). PVE and PBS cannot cap a "
        "namespace: it is bounded by the retention and reported; see docs/operations.md.",
    )
    containers: list[ContainerSpec] = Field(default_factory=list, description="LXC containers (setup C).")
    retiring: bool = Field(
        default=False,
        description="Being retired: the next `up` clears the protection of its pool, guests and PBS storage (in "
        "Pulumi and PVE's own flag), so that removing the file afterwards deletes them (docs/operations.md).",
    )
    forwards: list[ForwardSpec] = Field(default_factory=list, description="Port forwards to hosted VMs (setup B).")

    def guest_vms(self) -> list[Guest[VmSpec]]:
        """`vms` plus the VMs the services declare, as plain VM specs, each with the field it comes from."""
        own = [Guest(f"vms[{i}]", v) for i, v in enumerate(self.vms)]
        return own + [g for kind in KINDS if getattr(self, kind.key) is not None for g in kind.vms(self)]

    def guest_containers(self) -> list[Guest[ContainerSpec]]:
        """`containers` plus the containers the services declare, each with its field."""
        own = [Guest(f"containers[{i}]", c) for i, c in enumerate(self.containers)]
        return own + [g for kind in KINDS if getattr(self, kind.key) is not None for g in kind.containers(self)]

    def all_vms(self) -> list[VmSpec]:
        return [g.spec for g in self.guest_vms()]

    def all_containers(self) -> list[ContainerSpec]:
        return [g.spec for g in self.guest_containers()]

    @model_validator(mode="after")
    def _services(self) -> _TenantFields:
        for kind in KINDS:
            if getattr(self, kind.key) is not None:
                kind.check(self)
        return self


# One optional field per service kind of the registry, in its order.
TenantFile = create_model(  # type: ignore[call-overload]
    "TenantFile",
    __base__=_TenantFields,
    __doc__=_TenantFields.__doc__,
    **{kind.key: (kind.model | None, Field(default=None, description=kind.description)) for kind in KINDS},
)
