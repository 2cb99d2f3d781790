"""The stack outputs other teams read: plain facts from the spec plus ids from the resources."""

from __future__ import annotations

from typing import Any

import pulumi

from components.backup import BackupPlan
from components.tenant import Tenant
from spec.platform import Platform


def stack_outputs(platform: Platform, tenants: dict[str, Tenant], backups: BackupPlan | None) -> dict[str, Any]:
    """Everything exported; secrets live only in `initialPasswords`, itself a secret."""
    s = platform.settings
    multi_node = len(platform.node_names) > 1
    return {
        "backup": {
            "server": s.backup.pbs.server,
            "datastore": s.backup.pbs.datastore,
            "schedule": s.backup.schedule,
            "storages": {t: st.resource_id for t, st in backups.storages.items()},
            "encryptionKeyFingerprints": backups.key_fingerprints,
        }
        if s.backup is not None and backups is not None
        else None,
        "ha": {
            "enabled": multi_node,
            "reason": "replication and HA rules for stateful VMs"
            if multi_node
            else "single-node stack: no replication or HA planned",
        },
        "tenants": {
            t.name: {
                "pool": tenants[t.name].pool_id,
                "access": str(t.access),
                "group": t.group_id,
                "users": [u.user_id for u in t.users],
                "zone": {"id": tenants[t.name].zone.zone_id, "mtu": t.zone_mtu},
                "vnets": {
                    v.id: {"vni": v.vni, "cidr": str(v.cidr), "gateway": str(v.gateway), "mtu": v.mtu} for v in t.vnets
                },
            }
            for t in platform.tenants
        },
        "initialPasswords": pulumi.Output.secret(
            pulumi.Output.all(**{name: comp.initial_passwords for name, comp in tenants.items()})
        ),
    }
