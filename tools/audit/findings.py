"""Drift between the plan and the cluster, objects nobody declared, squatted VM ids, pending SDN changes.

Ownership comes from the plan: a tenant's pool, group, people, zone and VNets, its guests' ids, its dedicated
storages, and each tenant's default id range (tenant number * 1000 + slot 1..99, model/load.py). An undeclared
object on a tenant path or of a tenant principal is *unmanaged*; anywhere else it is *extra*. Principals the
operator runs outside the program (the deploy user, root@pam) are named in `known` and left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from proofs.isolation import tenant_assets
from proofs.privileges import AccessModel
from tools.audit.model import TENANT, WHOLE, Item, Items
from tools.mockengine import Recording, Registration

ROOT = "root@pam"
SLOTS = range(1, 100)  # model/models.py: slot 1..99; default VM id = tenant number * 1000 + slot


class Category:
    """Finding categories, in report order."""

    DRIFT = "drift"
    PENDING = "pending"
    UNMANAGED = "unmanaged"
    SQUAT = "squatted"
    ISOLATION = "isolation"
    USABILITY = "usability"
    USAGE = "usage"
    RIGHTSIZING = "right-sizing"
    ORDER = (DRIFT, PENDING, UNMANAGED, SQUAT, ISOLATION, USABILITY, USAGE, RIGHTSIZING)


@dataclass(frozen=True)
class Finding:
    """One thing the cluster does differently from the spec; `message` says it whole."""

    category: str
    kind: str
    key: str
    message: str
    change: str = ""  # drift: missing | extra | different
    field: str = ""
    planned: Any = None
    live: Any = None
    tenant: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass
class Ownership:
    """Which tenant owns which PVE names and paths, read off the plan (and the tenants' numbers)."""

    pools: dict[str, str] = field(default_factory=dict)  # pool -> tenant
    groups: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    vnets: dict[str, str] = field(default_factory=dict)
    guests: dict[str, str] = field(default_factory=dict)  # planned vmid -> tenant
    storages: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, range] = field(default_factory=dict)  # tenant -> its default VM id range
    reserved: dict[str, range] = field(default_factory=dict)  # the provider's own ids no guest may hold -> what
    known: frozenset[str] = frozenset({ROOT})

    @classmethod
    def of(cls, plan: Recording, numbers: dict[str, int], known: frozenset[str]) -> Ownership:
        own = cls(known=known | {ROOT})
        owner = owner_of(plan)
        for t in plan.by_type(TENANT):
            own.pools[t.inputs["pool"]] = t.name
            if t.inputs.get("managed"):  # the provider's pool for the tenant's managed guests: still its ground
                own.pools[t.inputs["managed"]] = t.name
            own.groups[t.inputs["group"]] = t.name
            own.zones[t.inputs["zone"]] = t.name
            if t.name in numbers:
                n = numbers[t.name] * 1000
                own.ranges[t.name] = range(n + SLOTS.start, n + SLOTS.stop)
        for r in plan.by_type("proxcloud:index:RestoreDrill"):  # issue 14 finding 4: the provider's ids too
            first, last = r.inputs["scratch_ids"]
            own.reserved["restore drill scratch ids"] = range(first, last + 1)
        for r in plan.resources:
            tenant = owner(r)
            if tenant is None:
                continue
            if r.type == "proxmoxve:index/userLegacy:UserLegacy":
                own.users[r.inputs["userId"]] = tenant
            elif r.type == "proxmoxve:sdn/vnet:Vnet":
                own.vnets[r.inputs["resourceId"]] = tenant
        for r in plan.resources:
            if r.type in ("proxmoxve:index/vmLegacy:VmLegacy", "proxmoxve:index/containerLegacy:ContainerLegacy"):
                tenant = own.pools.get(r.inputs.get("poolId", "")) or owner(r)
                if tenant:
                    own.guests[str(r.inputs["vmId"])] = tenant
        for tenant, paths in tenant_assets(plan, AccessModel.from_recording(plan)).items():
            for path in paths:
                if path.startswith("/storage/"):
                    own.storages[path.split("/")[2]] = tenant
        return own

    def range_owner(self, vmid: int) -> str | None:
        return next((t for t, r in self.ranges.items() if vmid in r), None)

    def principal_tenant(self, ugid: str, kind: str) -> str | None:
        if kind == "group":
            return self.groups.get(ugid)
        return self.users.get(ugid.split("!")[0])

    def path_tenant(self, path: str, live_pools: dict[str, str]) -> str | None:
        """The tenant a PVE path belongs to: its pool, a guest of its pool or id, its zone/VNets, its storages."""
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "pool":
            return self.pools.get(parts[1])
        if len(parts) >= 2 and parts[0] == "vms":
            return self.pools.get(live_pools.get(parts[1], "")) or self.guests.get(parts[1])
        if len(parts) >= 3 and parts[:2] == ["sdn", "zones"]:
            return self.zones.get(parts[2])
        if len(parts) >= 2 and parts[0] == "storage":
            return self.storages.get(parts[1])
        return None

    def is_known(self, principal: str) -> bool:
        return principal in self.known or principal.split("!")[0] in self.known


def owner_of(rec: Recording) -> Callable[[Registration], str | None]:
    """The tenant whose Tenant component a registration sits under (None: the platform's)."""
    by_urn = rec.by_urn()

    def owner(r: Registration) -> str | None:
        parent = r.parent
        while parent is not None and parent in by_urn:
            if by_urn[parent].type == TENANT:
                return by_urn[parent].name
            parent = by_urn[parent].parent
        return None

    return owner


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "none"
    return str(value)


def drift(planned: Items, live: Items, own: Ownership) -> list[Finding]:
    """Every difference between the planned and the live objects, classified."""
    out: list[Finding] = []
    live_pools = {k[1]: it.fields.get("pool", "") for k, it in live.items() if k[0] == "guest"}
    for (kind, key), want in planned.items():
        have = live.get((kind, key))
        tenant = _tenant_of(want, own, live_pools)
        if have is None:
            out.append(
                Finding(
                    Category.DRIFT, kind, key, f"{kind} {key}: missing (planned, not in PVE)", "missing", tenant=tenant
                )
            )
            continue
        if kind == "guest" and _squats(want, have):
            holder = f"{have.fields.get('type')} '{have.fields.get('name')}' in pool {have.fields.get('pool') or '-'}"
            meant = f"{want.fields.get('type')} '{want.fields.get('name')}' (pool {want.fields.get('pool') or '-'})"
            out.append(
                Finding(
                    Category.SQUAT,
                    kind,
                    key,
                    f"VM id {key} is held by {holder}; the spec allocates it to {meant} of "
                    f"{'tenant ' + tenant if tenant else 'the platform'}",
                    planned=want.fields.get("name"),
                    live=have.fields.get("name"),
                    tenant=tenant,
                )
            )
            continue
        names = sorted(set(want.fields) | set(have.fields)) if kind in WHOLE else sorted(want.fields)
        for name in names:
            p, v = want.fields.get(name), have.fields.get(name)
            if p != v:
                out.append(
                    Finding(
                        Category.DRIFT,
                        kind,
                        key,
                        f"{kind} {key}: {name} planned {_show(p)}, live {_show(v)}",
                        "different",
                        name,
                        p,
                        v,
                        tenant,
                    )
                )
    for (kind, key), have in live.items():
        if have.pending is not None:
            p = have.pending
            what = ", ".join(f"{k} {_show(p['running'].get(k))} -> {_show(v)}" for k, v in sorted(p["pending"].items()))
            out.append(
                Finding(
                    Category.PENDING,
                    kind,
                    key,
                    f"{kind} {key}: SDN change not applied (state {p['state']}{': ' + what if what else ''}); "
                    "`pulumi up` re-applies, or apply/revert it under Datacenter > SDN",
                    live=p,
                    tenant=_tenant_of(have, own, live_pools),
                )
            )
        if (kind, key) in planned:
            continue
        found = _undeclared(kind, key, have, own, live_pools)
        if found is not None:
            out.append(found)
    return out


def _squats(want: Item, have: Item) -> bool:
    """The live guest on a planned id is another guest: other type, other name or another tenant's pool."""
    return any(want.fields.get(k) != have.fields.get(k) for k in ("type", "name", "pool"))


def _tenant_of(item: Item, own: Ownership, live_pools: dict[str, str]) -> str | None:
    kind, key, f = item.kind, item.key, item.fields
    if kind == "guest":
        return own.pools.get(f.get("pool") or "") or own.guests.get(key)
    if kind == "pool":
        return own.pools.get(key)
    if kind == "group":
        return own.groups.get(key)
    if kind in ("user", "token"):
        groups = [own.groups[g] for g in f.get("groups") or [] if g in own.groups]
        return own.users.get(key.split("!")[0]) or (groups[0] if groups else None)
    if kind == "zone":
        return own.zones.get(key)
    if kind in ("vnet", "subnet"):
        return own.vnets.get(key.split("/")[0]) or own.zones.get(f.get("zone") or "")
    if kind == "acl":
        path, principal, _ = key.split(" ")
        ptype, _, ugid = principal.partition(":")
        return own.path_tenant(path, live_pools) or own.principal_tenant(ugid, ptype)
    if kind in ("firewall-rules", "firewall-options") and key.startswith("guest/"):
        vmid = key.split("/")[1]
        return own.pools.get(live_pools.get(vmid, "")) or own.guests.get(vmid)
    if kind == "backup-job":
        return own.pools.get(f.get("pool") or "")
    if kind == "storage":
        return own.storages.get(key)
    return None


def _undeclared(kind: str, key: str, have: Item, own: Ownership, live_pools: dict[str, str]) -> Finding | None:
    """A live object the plan does not declare: unmanaged on a tenant's ground, squatting, extra, or ignored."""
    f = have.fields
    if kind == "guest":
        pool = f.get("pool") or ""
        name = f"{f.get('type')} '{f.get('name')}'"
        if pool in own.pools:
            return Finding(
                Category.UNMANAGED,
                kind,
                key,
                f"{name} (id {key}) in tenant pool {pool}: nobody declared it (created by hand?)",
                "extra",
                tenant=own.pools[pool],
            )
        ranged = own.range_owner(int(key))
        if ranged is not None:
            return Finding(
                Category.SQUAT,
                kind,
                key,
                f"VM id {key} is held by {name} in pool {pool or '-'}; ids {own.ranges[ranged].start}-"
                f"{own.ranges[ranged].stop - 1} are tenant {ranged}'s (number * 1000 + slot)",
                live=f.get("name"),
                tenant=ranged,
            )
        reserved = next((what for what, ids in own.reserved.items() if int(key) in ids), None)
        if reserved is not None:  # the drill restores into these ids (and destroys what it restored there)
            ids = own.reserved[reserved]
            return Finding(
                Category.SQUAT,
                kind,
                key,
                f"VM id {key} is held by {name} in pool {pool or '-'}; ids {ids.start}-{ids.stop - 1} are the "
                f"provider's {reserved} (unless the drill is running now)",
                live=f.get("name"),
            )
        return Finding(
            Category.DRIFT, kind, key, f"{name} (id {key}, pool {pool or '-'}): extra (not in the plan)", "extra"
        )
    if kind in ("firewall-rules", "firewall-options", "file", "pool-member"):
        return None  # guests' firewall follows the guest (reported above); files and members: only planned ones
    if kind == "storage" and f.get("type") != "pbs":
        return None  # the cluster's own datastores are prerequisites, not the plan's
    tenant = _tenant_of(have, own, live_pools)
    if kind == "acl":
        path, principal, role = key.split(" ")
        if own.is_known(principal.partition(":")[2]):
            return None
        text = f"ACL {role} on {path} for {principal} (propagate {_show(f.get('propagate'))})"
    elif kind == "token":
        if own.is_known(key):
            return None
        text = f"token {key} (privilege separation {_show(f.get('privsep'))})"
        if not f.get("privsep"):
            text += ": without privilege separation it holds everything its user holds"
    elif kind == "user":
        if own.is_known(key):
            return None
        text = f"user {key} (groups {_show(f.get('groups'))})"
    else:
        text = f"{kind} {key}"
    if tenant is not None:
        return Finding(
            Category.UNMANAGED,
            kind,
            key,
            f"{text}: on tenant {tenant}'s ground, declared by nobody",
            "extra",
            tenant=tenant,
        )
    return Finding(Category.DRIFT, kind, key, f"{text}: extra (not in the plan)", "extra")
