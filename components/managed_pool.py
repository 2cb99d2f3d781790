"""The provider's pool for the guests it manages for a tenant (issue 14 findings 2 and 6): `<tenant>-managed`.

Its router/proxy (a NIC on the provider's transit VNet, the provider's SSH key, a firewall the provider manages)
and its monitoring VMs (the Telegraf token) sit there, not in the tenant's pool: the tenant holds no role on it,
so it can neither destroy nor reconfigure them nor read what is inside (console, disks, cloud-init). Moving a VM
between pools is an in-place update (bpg proxmoxtf/resource/vm/vm.go `pool_id` is not ForceNew; tools/replace_rules
has no VM poolId row). Backups: components/backup.py gives the pool a nightly job of its own on the tenant's PBS
storage, with the tenant pool's job semantics.
"""

from __future__ import annotations

import pulumi
import pulumi_proxmoxve as px

from model.platform import TenantSpec
from model.storage import managed, managed_pool


def managed_pool_of(parent: pulumi.Resource, name: str, t: TenantSpec, protect: bool) -> px.PoolLegacy | None:
    """The tenant's managed pool, when the provider manages guests for it (else None)."""
    if not managed(t):
        return None
    return px.PoolLegacy(
        f"{name}-managed-pool",
        pool_id=managed_pool(t.name),
        comment=f"guests the provider manages for tenant {t.name} (no tenant access)",
        opts=pulumi.ResourceOptions(parent=parent, protect=protect and not t.retiring),
    )
