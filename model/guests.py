"""The guest parts of the tenant file every service builds on: a VM, a container, a placement, and the field
of the file each guest comes from (`Guest`). Service models (services/*/model.py) expand to these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from model.types import (
    HostLabel,
    HostName,
    Invalid,
    IPv4,
    NodeName,
    RoleName,
    SdnId,
    SshPublicKey,
    Text,
)

G = TypeVar("G")


def _vm_id(value: object) -> object:
    fix = "write a number from 100 to 999999999, or mirror, or leave it out"
    if value is None or value == "mirror":
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if 100 <= value <= 999_999_999:
            return value
        raise Invalid(f"{value} is not a PVE VM ID (100-999999999)", fix)
    raise Invalid(f"{value!r} is not a VM ID"[:120], fix)


# A PVE VM/CT ID: a number, `mirror` (the address without dots: 10.10.10.6 -> 1010106), or None (number*1000+slot).
VmId = Annotated[int | Literal["mirror"] | None, BeforeValidator(_vm_id)]


Description = Text(200, what="description")


Reason = Text(200, min_len=3, what="reason")


class Strict(BaseModel):
    # strict: YAML's true/false never becomes 1/0, a number never becomes a name; addresses are parsed from text
    # by the types in model.types. Enums are the one lax field kind (a value from the list, written as text).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class VmSpec(Strict):
    """A cloud-init VM the provider creates for the tenant (Debian 12 cloud image)."""

    name: HostLabel = Field(description="Host name and PVE VM name (a DNS label), unique in the stack.")
    slot: int = Field(
        ge=1,
        le=99,
        description="The VM's stable number inside the tenant (unique per tenant, never reused while the VM exists). "
        "Seeds its default VM ID and, for a dedicated network, its VNet, /30 and /64.",
    )
    role: RoleName = Field(default="server", description="What the VM is for (web, db, ...); used by firewall rules.")
    vm_id: VmId = Field(
        default=None,
        description="PVE VM ID: a number (100-999999999), `mirror` (the address without dots: 10.10.10.6 -> 1010106), "
        "or omitted for tenant number * 1000 + slot.",
    )
    node: NodeName | None = Field(default=None, description="PVE node; spread over the nodes by slot when omitted.")
    cores: int = Field(default=2, ge=1, le=64, description="vCPUs (setup B default: 2).")
    memory_mb: int = Field(default=2048, ge=256, le=262144, description="Memory in MiB (setup B default: 2048).")
    disk_gb: int = Field(default=50, ge=8, le=4096, description="System disk in GB (setup B default: 50).")
    vnet: SdnId | None = Field(
        default=None,
        description="The tenant VNet of the VM's NIC (with `address`); omitted: a dedicated VNet with an IPv4 /30 and "
        "an IPv6 /64 from the stack's hosting pools (setup B).",
    )
    address: IPv4 | None = Field(default=None, description="Static IPv4 address on `vnet`.")
    ssh_keys: list[SshPublicKey] = Field(default_factory=list, description="SSH public keys of the VM's admin user.")
    guest_agent: bool = Field(default=True, description="Install and enable the QEMU guest agent.")
    stateful: bool = Field(default=True, description="Holds data: backed up, replicated, protected in prod.")
    stateless_reason: Reason | None = Field(
        default=None, description="Required with `stateful: false`: why losing this VM loses nothing (no backup)."
    )
    keep_apart_from: list[HostLabel] = Field(
        default_factory=list, description="VM names this VM must not share a node with (HA negative affinity)."
    )
    protect: bool = Field(default=False, description="Protect against deletion (Pulumi protect + PVE protection).")
    description: Description | None = Field(default=None, description="Free text, shown in PVE.")

    @model_validator(mode="after")
    def _addressing(self) -> VmSpec:
        if (self.vnet is None) != (self.address is None):
            raise Invalid(
                "a VM needs both vnet and address (on a tenant VNet), or neither (a dedicated network)",
                "add the missing one, or remove both",
                ["address" if self.address is None else "vnet"],
            )
        if self.vm_id == "mirror" and self.address is None:
            raise Invalid(
                "vm_id: mirror needs an address to mirror", "set a number, or give vnet and address", ["vm_id"]
            )
        if not self.stateful and not self.stateless_reason:
            raise Invalid(
                "stateful: false needs stateless_reason", "say why this VM needs no backup", ["stateless_reason"]
            )
        if self.stateful and self.stateless_reason:
            raise Invalid(
                "stateless_reason is only for stateful: false",
                "remove it, or set stateful: false",
                ["stateless_reason"],
            )
        return self


class Placement(Strict):
    """Slot and address of a service's guest on the service's VNet."""

    slot: int = Field(ge=1, le=99, description="The guest's stable slot in the tenant.")
    address: IPv4 = Field(description="Static address on the service's VNet.")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id (containers: a number).")
    node: NodeName | None = Field(default=None, description="PVE node; spread by slot when omitted.")


class ContainerSpec(Strict):
    """An LXC container (setup C: containers for light services, VMs where a kernel is needed)."""

    name: HostLabel = Field(description="Host name, unique in the stack.")
    slot: int = Field(ge=1, le=99, description="Stable slot in the tenant (shared with the VMs' slots).")
    role: RoleName = Field(default="server", description="What it is for; firewall rules key on it.")
    vnet: SdnId = Field(description="The tenant VNet of its NIC.")
    address: IPv4 = Field(description="Static IPv4 address on the VNet.")
    vm_id: VmId = Field(default=None, description="PVE ID: a number, `mirror`, or tenant number * 1000 + slot.")
    node: NodeName | None = Field(default=None, description="PVE node; spread by slot when omitted.")
    cores: int = Field(default=1, ge=1, le=64, description="vCPUs.")
    memory_mb: int = Field(default=512, ge=64, le=262144, description="Memory in MiB.")
    disk_gb: int = Field(default=8, ge=1, le=4096, description="Root disk in GB.")
    nesting: bool = Field(default=False, description="Allow nested containers (only for services running Docker).")
    stateful: bool = Field(default=True, description="Holds data: backed up, replicated, protected in prod.")
    stateless_reason: Reason | None = Field(default=None, description="Required with stateful: false.")

    @model_validator(mode="after")
    def _state(self) -> ContainerSpec:
        if not self.stateful and not self.stateless_reason:
            raise Invalid(
                "stateful: false needs stateless_reason", "say why this container needs no backup", ["stateless_reason"]
            )
        return self


class ServerVm(Strict):
    """A service whose server runs on one VM and whose web UI the tenant's proxy publishes."""

    vnet: SdnId = Field(description="The VNet of the server VM.")
    public_host: HostName = Field(description="Host name of the web UI, routed by the proxy.")


@dataclass(frozen=True)
class Guest(Generic[G]):
    """A VM or container spec with the field of the tenant file it comes from (`vms[0]`, `monitoring.grafana`).

    `fields` maps an attribute to the field the user wrote it in when that is not `<field>.<attribute>`: a
    service's VNet (`monitoring.vnet`), a name the program derives (`monitoring.grafana`), the proxy's address
    (`vnets[0].gateway`).
    """

    field: str
    spec: G
    fields: Mapping[str, str] = dataclass_field(default_factory=dict)

    def at(self, attribute: str) -> str:
        return self.fields.get(attribute, f"{self.field}.{attribute}")
