"""The stack outputs other teams read: a versioned contract (docs/outputs.schema.json).

Plain facts come from the spec, ids from the resources. Secrets appear only in the `*Passwords` outputs and
`auditToken`, each a Pulumi secret as a whole. Bump SCHEMA_VERSION (major for removals/renames, minor for
additions) and the schema together; tests/components/test_outputs.py fails on any unannounced change of shape.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.audit import AuditPrincipal
from components.backup import BackupPlan
from components.tenant import Tenant, TenantGuests
from model.platform import Nic, Platform, TenantSpec
from services import present
from services.monitoring.component import MonitoringStack

SCHEMA_VERSION = "1.1"


def _ipv6(nic: Nic) -> str:
    """A VM's IPv6 as `address/prefix` of the network it owns: a hosted VM's ::2 in its routed /64 (it configures
    ::2/128, the /64 being routed to it), else the NIC's interface address; empty without IPv6."""
    if nic.ipv6 is None:
        return ""
    if nic.routed6 is not None:
        return f"{nic.ipv6.ip}/{nic.routed6.prefixlen}"
    return str(nic.ipv6)


def _tenant(t: TenantSpec, comp: Tenant, g: TenantGuests, mon: MonitoringStack | None) -> dict[str, Any]:
    vm_ids = {**{n: v.vm_id for n, v in g.vms.items()}, **({n: v.vm_id for n, v in mon.vms.items()} if mon else {})}
    return {
        "pool": comp.pool_id,
        "access": str(t.access),
        "group": t.group_id,
        "users": [u.user_id for u in t.users],
        "zone": {"id": comp.zone.zone_id, "mtu": t.zone_mtu},
        "vnets": {v.id: {"vni": v.vni, "cidr": str(v.cidr), "gateway": str(v.gateway), "mtu": v.mtu} for v in t.vnets},
        "vms": {
            vm.name: {
                "vmId": vm_ids[vm.name],
                "node": vm.node,
                "role": vm.role,
                "stateful": vm.stateful,
                "vnet": vm.nics[0].bridge,
                "ipv4": str(vm.nics[0].ipv4),
                "ipv6": _ipv6(vm.nics[0]),
            }
            for vm in t.vms
        },
        "containers": {
            c.name: {
                "vmId": c.vm_id,
                "node": c.node,
                "role": c.role,
                "stateful": c.stateful,
                "vnet": c.nics[0].bridge,
                "ipv4": str(c.nics[0].ipv4),
            }
            for c in t.containers
        },
        "humhub": g.humhub.urls if g.humhub is not None else {},
        "routes": g.proxy.hosts if g.proxy is not None else [],
        "services": _services(t),
        "backupAllowanceGb": t.backup_allowance_gb or 0,
        "monitoring": mon.endpoints if mon is not None else {},
    }


def _services(t: TenantSpec) -> dict[str, str]:
    """The services' public endpoints (behind the tenant's proxy), as each kind lists them."""
    return {name: url for kind in present(t) for name, url in kind.endpoints(t).items()}


def _secret_map(values: dict[str, pulumi.Output[Any]]) -> pulumi.Output[dict[str, Any]]:
    return pulumi.Output.secret(pulumi.Output.all(**values))


def stack_outputs(
    platform: Platform,
    tenants: dict[str, Tenant],
    guests: dict[str, TenantGuests],
    backups: BackupPlan | None,
    audit: AuditPrincipal,
) -> dict[str, Any]:
    """Everything the stack exports."""
    monitoring: dict[str, MonitoringStack] = {
        n: m for n, g in guests.items() if isinstance(m := g.service("monitoring"), MonitoringStack)
    }
    s = platform.settings
    multi_node = len(platform.node_names) > 1
    return {
        "schema_version": SCHEMA_VERSION,
        "stack": platform.stack,
        "domain": s.domain,
        "nodes": {n.name: {"vtep": str(n.vtep)} for n in s.nodes},
        "tenants": {
            t.name: _tenant(t, tenants[t.name], guests[t.name], monitoring.get(t.name)) for t in platform.tenants
        },
        "backup": {
            "server": s.backup.pbs.server,
            "datastore": s.backup.pbs.datastore,
            "schedule": s.backup.schedule,
            "storages": {t: st.resource_id for t, st in backups.storages.items()},
            "encryptionKeyFingerprints": backups.key_fingerprints,
        }
        if s.backup is not None and backups is not None
        else {},
        "edge": {
            "publicIpv4": str(s.edge.public_ipv4.ip),
            "publicIpv6": str(s.edge.public_ipv6.ip),
            "forwards": [
                {
                    "tenant": f.tenant,
                    "proto": f.proto,
                    "publicPort": f.public_port,
                    "target": str(f.target),
                    "targetPort": f.target_port,
                    "why": f.why,
                }
                for f in platform.edge.forwards
            ],
            "secondaries": {sec.tenant: str(sec.address) for sec in platform.edge.secondaries},
        }
        if s.edge is not None and platform.edge is not None
        else {},
        "ha": {
            "enabled": multi_node,
            "reason": "replication and HA rules for stateful VMs"
            if multi_node
            else "single-node stack: no replication or HA planned",
        },
        "initialPasswords": _secret_map({n: c.initial_passwords for n, c in tenants.items()}),
        "grafanaAdminPasswords": _secret_map({n: m.grafana_admin_password for n, m in monitoring.items()}),
        "humhubAdminPasswords": _secret_map(
            {n: g.humhub.admin_passwords for n, g in guests.items() if g.humhub is not None}
        ),
        # 1.1: the read-only token of `make audit` (`audit@pve!audit=<uuid>`).
        "auditToken": audit.token_value,
    }
