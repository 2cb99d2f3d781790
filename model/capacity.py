"""Cluster capacity for right-sizing (setup C): what each node offers and how far the platform may over-commit it.

Read from the optional stack config key `proxcloud:capacity` (or a file with the same shape) by tools/report.py.
Pure data model, no pulumi import; camelCase keys like the rest of the `proxcloud:` namespace:

    proxcloud:capacity:
      nodes:
        pve-dev: {cores: 16, memoryMb: 65536, diskGb: 1800}
      overcommit: {cpu: 4.0, memory: 1.0, disk: 1.0}
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from model.types import NODE_NAME, NodeName

__all__ = ["NODE_NAME", "CapacitySpec", "NodeCapacity", "OvercommitLimits", "Resource"]


class _Config(BaseModel):
    """The `proxcloud:` config conventions (as model.models._Config): camelCase keys, unknown keys refused, strict
    types (true/false is not a number)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=False, strict=True
    )


class Resource(StrEnum):
    """What a guest is allocated and a node offers."""

    CPU = "cpu"  # vCPUs against physical cores (threads as PVE counts them)
    MEMORY = "memory"  # MiB
    DISK = "disk"  # GB on the guest datastores


class NodeCapacity(_Config):
    """What one PVE node offers to guests (after what the host itself keeps)."""

    cores: int = Field(gt=0, le=100_000, description="CPU threads PVE schedules guests on (`nproc` on the node).")
    memory_mb: int = Field(
        gt=0, le=1 << 40, description="Memory for guests in MiB (the node's RAM less the host's share)."
    )
    disk_gb: int = Field(gt=0, le=1 << 40, description="Guest datastore space in GB.")

    def of(self, resource: Resource) -> int:
        return {Resource.CPU: self.cores, Resource.MEMORY: self.memory_mb, Resource.DISK: self.disk_gb}[resource]


class OvercommitLimits(_Config):
    """How much may be allocated per unit of capacity before the report flags it. CPU is time-shared, so
    several vCPUs per core are normal; memory is not (no ballooning promised), nor is thin-provisioned disk by
    default. Raise a limit temporarily for a heavy job and the report shows by how much."""

    cpu: float = Field(default=4.0, gt=0, le=100, description="vCPUs per core.")
    memory: float = Field(default=1.0, gt=0, le=100, description="Allocated memory per MiB of capacity.")
    disk: float = Field(
        default=1.0, gt=0, le=100, description="Allocated disk per GB of capacity (above 1 needs thin pools)."
    )

    def of(self, resource: Resource) -> float:
        return {Resource.CPU: self.cpu, Resource.MEMORY: self.memory, Resource.DISK: self.disk}[resource]


class CapacitySpec(_Config):
    """`proxcloud:capacity`: per-node capacity and the over-commit limits."""

    nodes: dict[NodeName, NodeCapacity] = Field(min_length=1, description="Capacity per PVE node name.")
    overcommit: OvercommitLimits = Field(default_factory=OvercommitLimits, description="Over-commit limits.")

    def total(self, resource: Resource) -> int:
        return sum(n.of(resource) for n in self.nodes.values())
