"""Least-privilege access policy per profile: which custom roles a tenant gets and on which of its own paths.

Privilege names are PVE 9's (the full list is in proofs/pve.py). Whether these grants really keep tenants
apart is not assumed here: proofs/privileges.py recomputes effective privileges from the planned graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.models import AccessProfile
from model.platform import TenantSpec

# setup B: the provider creates VMs and assigns them "immutably"; the tenant may power them, use the console,
# insert ISOs from its own storage and look at them - never change CPU, memory, disks or NICs.
OPERATOR_VM = (
    "Pool.Audit",
    "VM.Audit",
    "VM.Config.CDROM",
    "VM.Console",
    "VM.PowerMgmt",
)
# setup D: build and run VMs inside the own pool. VM.Allocate on /pool/<pool> lets PVE create a VM into that
# pool; Pool.Allocate (which would let the tenant edit the pool itself) is deliberately absent.
SELF_SERVICE_VM = (
    "Pool.Audit",
    "VM.Allocate",
    "VM.Audit",
    "VM.Backup",
    "VM.Clone",
    "VM.Config.CDROM",
    "VM.Config.CPU",
    "VM.Config.Cloudinit",
    "VM.Config.Disk",
    "VM.Config.HWType",
    "VM.Config.Memory",
    "VM.Config.Network",
    "VM.Config.Options",
    "VM.Console",
    "VM.GuestAgent.Audit",
    "VM.PowerMgmt",
    "VM.Snapshot",
    "VM.Snapshot.Rollback",
)
# attach guest NICs to the zone's VNets (and see them); SDN.Allocate (create/modify SDN) is not given.
SDN_USER = ("SDN.Audit", "SDN.Use")
# allocate disks and upload ISOs/templates on an allowed datastore; Datastore.Allocate (edit storage) is not given.
STORAGE_USER = ("Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit")


@dataclass(frozen=True)
class RoleGrant:
    """A custom role of one tenant and the paths its group holds it on (always with propagate)."""

    purpose: str
    privileges: tuple[str, ...]
    paths: tuple[str, ...]


def grants(tenant: TenantSpec) -> list[RoleGrant]:
    """The roles and ACL paths of a tenant's group: only the tenant's own pool, zone and datastores."""
    pool = RoleGrant("vm-operator", OPERATOR_VM, (f"/pool/{tenant.pool_id}",))
    if tenant.access is AccessProfile.OPERATOR:
        return [pool]
    out = [
        RoleGrant("vm-builder", SELF_SERVICE_VM, (f"/pool/{tenant.pool_id}",)),
        RoleGrant("sdn-user", SDN_USER, (f"/sdn/zones/{tenant.zone_id}",)),
    ]
    if tenant.storages:
        out.append(RoleGrant("storage-user", STORAGE_USER, tuple(f"/storage/{s}" for s in tenant.storages)))
    return out
