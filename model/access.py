"""Least-privilege access policy per profile: which custom roles a tenant gets and on which of its own paths.

Privilege names are PVE 9's (the full list is in proofs/pve.py). Whether these grants really keep tenants
apart is not assumed here: proofs/privileges.py recomputes effective privileges from the planned graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.models import AccessProfile
from model.platform import TenantSpec
from model.storage import backup_storage, iso_storage, own_storages

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
# an operator's own ISO storage: read an ISO to insert it (pve-storage src/PVE/Storage.pm check_volume_access: iso
# needs Datastore.AllocateSpace or Datastore.Audit on the storage) and upload its own (Status.pm upload:
# Datastore.AllocateTemplate); no AllocateSpace: an operator allocates no disks.
ISO_USER = ("Datastore.AllocateTemplate", "Datastore.Audit")
# back up and restore on the tenant's own PBS namespace: vzdump needs Datastore.AllocateSpace on the target storage
# (pve-manager PVE/API2/VZDump.pm vzdump), a restore check_volume_access on the archive (backup: AllocateSpace on
# the storage and VM.Backup on its owner /vms/<id>), listing Datastore.Audit or AllocateSpace (Content.pm index).
BACKUP_USER = ("Datastore.AllocateSpace", "Datastore.Audit")
# Telegraf's proxmox input reads the node's guest lists, each guest's status/current and config: VM.Audit on the
# tenant's pool is all (proofs/tenancy.py _monitoring cites telegraf plugins/inputs/proxmox/proxmox.go; its
# GET /nodes/{node}/dns without Sys.Audit is a 403 Telegraf ignores). No Sys.Audit on /nodes/<n> (issue 14 finding 1:
# GET /nodes/{n}/report shows every guest's config), no PVEAuditor (it also reads the pool's storages).
TELEGRAF = ("VM.Audit",)
# issue 14 finding 5: these pass RPCEnvironment.pm check_perm_modify (ACL delegation) or edit storages or pools:
# never granted to a tenant (tests/model/test_access.py).
NEVER_GRANTED = ("Permissions.Modify", "Datastore.Allocate", "Pool.Allocate", "Sys.Modify", "SDN.Allocate")


@dataclass(frozen=True)
class RoleGrant:
    """A custom role of one tenant and the paths its group holds it on (always with propagate)."""

    purpose: str
    privileges: tuple[str, ...]
    paths: tuple[str, ...]


def grants(tenant: TenantSpec, backups: bool = False) -> list[RoleGrant]:
    """The roles and ACL paths of a tenant's group: only the tenant's own pool, zone and datastores (its own
    storages of model/storage.py, the dedicated ones it lists, its PBS storage when `backups` are offered)."""
    pool = RoleGrant("vm-operator", OPERATOR_VM, (f"/pool/{tenant.pool_id}",))
    if tenant.access is AccessProfile.OPERATOR:
        return [pool, RoleGrant("iso-user", ISO_USER, (f"/storage/{iso_storage(tenant.name)}",))]
    out = [
        RoleGrant(  # VM.Backup only when a backup storage it may write to is offered (finding 7)
            "vm-builder",
            SELF_SERVICE_VM if backups else tuple(p for p in SELF_SERVICE_VM if p != "VM.Backup"),
            (f"/pool/{tenant.pool_id}",),
        ),
        RoleGrant("sdn-user", SDN_USER, (f"/sdn/zones/{tenant.zone_id}",)),
        RoleGrant(
            "storage-user", STORAGE_USER, tuple(f"/storage/{s}" for s in (*own_storages(tenant), *tenant.storages))
        ),
    ]
    if backups:
        out.append(RoleGrant("backup-user", BACKUP_USER, (f"/storage/{backup_storage(tenant.name)}",)))
    return out
