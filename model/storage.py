"""Each tenant's own storages (issue 14, findings 3 and 7): their ids, the ZFS dataset behind them, the managed pool.

Per tenant, on every node, a ZFS dataset `rpool/tenants/<t>` with a `quota` (`storage_quota_gb` of the tenant file)
holds two children: `iso` (a filesystem; PVE storage `<t>-iso`, type dir, contents iso, vztmpl, import: the
tenant's ISOs, container templates and the cloud image) and, for a self-service tenant, `disks` (PVE storage
`<t>-disks`, type zfspool, contents images, rootdir: the disks it allocates). The quota bounds both: PVE has no
per-tenant quota on a shared storage (pve-storage `PVE/Storage.pm` `vdisk_alloc` checks only
Datastore.AllocateSpace), ZFS enforces it on the dataset and its children (zfsprops(7) `quota`).
`rpool` is the pool the PVE installer creates on a ZFS install (its `local-zfs` is `rpool/data`).

The guests the provider manages for a tenant (its router/proxy, its monitoring VMs) live in the pool
`<t>-managed`, which the tenant holds no role on (finding 2 and 6); the backup job of that pool writes to the
tenant's own PBS namespace, as the tenant pool's job does.
"""

from __future__ import annotations

from model.models import AccessProfile
from model.platform import TenantSpec

ZFS_BASE = "rpool/tenants"
# Content types of the ISO storage: PVE's names (pve-storage src/PVE/Storage/Plugin.pm `valid_content_types`).
ISO_CONTENTS = ("import", "iso", "vztmpl")
DISK_CONTENTS = ("images", "rootdir")


def iso_storage(tenant: str) -> str:
    """The tenant's ISO/template storage id (a PVE storage id: `pve-storage-id`, lower case, digits, `-`)."""
    return f"{tenant}-iso"


def disk_storage(tenant: str) -> str:
    """The tenant's disk storage id."""
    return f"{tenant}-disks"


def dataset(tenant: str) -> str:
    """The tenant's quota-bounded ZFS dataset (parent of its storages)."""
    return f"{ZFS_BASE}/{tenant}"


def iso_path(tenant: str) -> str:
    """Mount point of the ISO dataset (ZFS's default for `<dataset>/iso`): the dir storage's path."""
    return f"/{dataset(tenant)}/iso"


def managed_pool(tenant: str) -> str:
    """The provider's pool for the guests it manages for `tenant` (no tenant ACL on it)."""
    return f"{tenant}-managed"


def backup_storage(tenant: str) -> str:
    """The tenant's PBS storage (components/backup.py `pbs-<tenant>`)."""
    return f"pbs-{tenant}"


def managed(t: TenantSpec) -> bool:
    """The provider manages guests for `t` (its proxy, its monitoring VMs): it needs the pool `<t>-managed`."""
    return any(vm.pool_id == managed_pool(t.name) for vm in t.vms)


def own_storages(t: TenantSpec) -> tuple[str, ...]:
    """The storages the program creates for `t`: ISO storage always, disk storage for self-service."""
    return (iso_storage(t.name), *((disk_storage(t.name),) if t.access is AccessProfile.SELF_SERVICE else ()))
