"""Tenant isolation over a planned graph: nobody of one tenant reaches anything of another, or the platform.

Rules (issue: foundation): for every pair of tenants, no principal of one holds any privilege on the other's
pool, zone, VNets, VMs or dedicated storage; no tenant principal holds a platform privilege (proofs.pve
FORBIDDEN_FOR_TENANTS) anywhere; operator-profile principals hold no hardware or VM-creation privilege.

Superseded on the plan by proofs/tenancy.py (issue 14: PVE's exact arithmetic, every asset, reach, usability);
kept because `make audit` (tools/audit/access.py) runs these checks on the live access config.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from proofs.privileges import ACL, CT, TENANT, TOKEN, USER, VM, AccessModel
from proofs.pve import FORBIDDEN_FOR_OPERATORS, FORBIDDEN_FOR_TENANTS, matches
from tools.mockengine import Recording

ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
GROUP = "proxmoxve:index/groupLegacy:GroupLegacy"


@dataclass(frozen=True)
class Violation:
    principal: str
    tenant: str
    path: str
    privileges: tuple[str, ...]
    rule: str

    def __str__(self) -> str:
        return f"{self.principal} (tenant {self.tenant}) holds {', '.join(self.privileges)} on {self.path}: {self.rule}"


def tenant_assets(rec: Recording, model: AccessModel) -> dict[str, set[str]]:
    """Per tenant, the PVE paths that are its own: pool, zone, VNets, guests, dedicated storage."""
    by_urn = rec.by_urn()

    def owner(urn: str | None) -> str | None:
        while urn is not None and urn in by_urn:
            r = by_urn[urn]
            if r.type == TENANT:
                return r.name
            urn = r.parent
        return None

    assets: dict[str, set[str]] = defaultdict(set)
    zone_owner: dict[str, str] = {}
    group_owner: dict[str, str] = {}
    for r in rec.resources:
        t = owner(r.urn)
        if t is None:
            continue
        if r.type == TENANT:
            assets[t].add(f"/pool/{r.inputs.get('pool', t)}")
        elif r.type == ZONE:
            zone_owner[r.inputs["resourceId"]] = t
            assets[t].add(f"/sdn/zones/{r.inputs['resourceId']}")
        elif r.type in (VM, CT):
            assets[t].add(f"/vms/{r.inputs['vmId']}")
        elif r.type == GROUP:
            group_owner[r.inputs["groupId"]] = t
    for r in rec.by_type(VNET):
        zone = r.inputs["zone"]
        if zone in zone_owner:
            assets[zone_owner[zone]].add(f"/sdn/zones/{zone}/{r.inputs['resourceId']}")
    pool_owner = {r.inputs.get("pool"): r.name for r in rec.by_type(TENANT)}
    for path, pool in model.pool_of.items():
        if pool in pool_owner:
            assets[pool_owner[pool]].add(path)
    storage_holders: dict[str, set[str]] = defaultdict(set)
    for r in rec.by_type(ACL):
        path, group = r.inputs["path"], r.inputs.get("groupId")
        if path.startswith("/storage/") and group in group_owner:
            storage_holders[path].add(group_owner[group])
    for path, holders in storage_holders.items():
        if len(holders) == 1:
            assets[next(iter(holders))].add(path)
    return dict(assets)


def _hits(privs: frozenset[str], patterns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(p for p in privs if any(matches(p, pat) for pat in patterns)))


def check_isolation(rec: Recording) -> list[Violation]:
    """Every violation of the isolation rules in the planned graph (empty: isolated)."""
    model = AccessModel.from_recording(rec)
    assets = tenant_assets(rec, model)
    access = {r.name: r.inputs.get("access") for r in rec.by_type(TENANT)}
    every_path = model.relevant_paths({p for paths in assets.values() for p in paths})
    violations: list[Violation] = []
    for principal in model.principals():
        tenant = model.tenant_of.get(principal)
        if tenant is None:
            continue  # a platform principal (e.g. the monitoring user); checked by its own proof
        for other, paths in assets.items():
            if other == tenant:
                continue
            for path in sorted(paths):
                privs = model.privileges(principal, path)
                if privs:
                    violations.append(
                        Violation(principal, tenant, path, tuple(sorted(privs)), f"belongs to tenant {other}")
                    )
        for path in every_path:
            privs = model.privileges(principal, path)
            bad = _hits(privs, FORBIDDEN_FOR_TENANTS)
            if bad:
                violations.append(Violation(principal, tenant, path, bad, "platform privilege"))
            if access.get(tenant) == "operator":
                bad = _hits(privs, FORBIDDEN_FOR_OPERATORS)
                if bad:
                    violations.append(Violation(principal, tenant, path, bad, "operators may not change hardware"))
    return violations


AUDIT_ONLY = (
    "Datastore.Audit",
    "Mapping.Audit",
    "Pool.Audit",
    "SDN.Audit",
    "Sys.Audit",
    "VM.Audit",
    "VM.GuestAgent.Audit",
)


def check_monitoring(rec: Recording) -> list[Violation]:
    """Each tenant's monitoring principals (user and token under its MonitoringStack) may only read, and only
    what belongs to their own tenant (plus node status): no write anywhere, nothing of another tenant."""
    model = AccessModel.from_recording(rec)
    assets = tenant_assets(rec, model)
    violations: list[Violation] = []
    for stack in rec.by_type("proxcloud:index:MonitoringStack"):
        tenant = stack.inputs["tenant"]
        users = [r.inputs["userId"] for r in rec.by_type(USER) if r.parent == stack.urn]
        tokens = [f"{r.inputs['userId']}!{r.inputs['tokenName']}" for r in rec.by_type(TOKEN) if r.parent == stack.urn]
        every_path = model.relevant_paths({p for paths in assets.values() for p in paths})
        for principal in users + tokens:
            for path in every_path:
                privs = model.privileges(principal, path)
                writes = tuple(sorted(p for p in privs if p not in AUDIT_ONLY))
                if writes:
                    violations.append(Violation(principal, tenant, path, writes, "monitoring may only read"))
            for other, paths in assets.items():
                for path in sorted(paths) if other != tenant else ():
                    privs = model.privileges(principal, path)
                    if privs:
                        violations.append(
                            Violation(principal, tenant, path, tuple(sorted(privs)), f"belongs to tenant {other}")
                        )
    return violations
