"""Live isolation and usability: the plan's own proofs (proofs/isolation.py) run on the cluster's access config.

A thin adapter: `live_recording` builds the Recording the proofs read, with everything PVE decides taken from the
cluster (roles and their privileges, users' groups, tokens and privilege separation, ACLs, guests' pools, pool
storages, zones and VNets) and only ownership taken from the plan (which tenant an id belongs to: a planned object
keeps its planned parent; an undeclared guest belongs to the tenant whose pool holds it, an undeclared user to the
tenant whose group it is in). Whatever the proofs become, they keep reading a Recording.
Usability: every privilege the plan gives a principal on a path, the cluster must still give it.
"""

from __future__ import annotations

from proofs.isolation import GROUP, VNET, ZONE, check_isolation, check_monitoring, tenant_assets
from proofs.privileges import ACL, CT, MEMBERSHIP, ROLE, TENANT, TOKEN, USER, VM, AccessModel, ProofError
from tools.audit.findings import Category, Finding
from tools.audit.live import LiveState
from tools.audit.model import as_bool, split_list
from tools.mockengine import Recording, Registration


def live_recording(plan: Recording, live: LiveState) -> Recording:
    """The cluster's access configuration as a Recording, for the proofs."""
    stack = next((r.urn for r in plan.resources if r.type == "pulumi:pulumi:Stack"), None)
    components = [r for r in plan.resources if not r.custom]
    planned: dict[tuple[str, str], Registration] = {}
    for r in plan.resources:
        i = r.inputs
        key = {
            USER: i.get("userId"),
            TOKEN: f"{i.get('userId')}!{i.get('tokenName')}",
            GROUP: i.get("groupId"),
            ZONE: i.get("resourceId"),
            VNET: i.get("resourceId"),
            VM: str(i.get("vmId")),
            CT: str(i.get("vmId")),
        }.get(r.type)
        if key is not None:
            planned[(r.type, key)] = r
    tenants = plan.by_type(TENANT)
    pool_tenant = {t.inputs.get("pool"): t.urn for t in tenants}
    group_tenant = {t.inputs.get("group"): t.urn for t in tenants}
    out: list[Registration] = []

    def add(type_: str, key: str, fallback: str | None, **inputs: object) -> Registration:
        known = planned.get((type_, key))
        parent = known.parent if known is not None else fallback
        r = Registration(f"live::{type_}::{key}", type_, key, True, parent, None, False, [], dict(inputs))
        out.append(r)
        return r

    for role in live.roles:
        add(ROLE, role["roleid"], stack, roleId=role["roleid"], privileges=split_list(role.get("privs")))
    for g in live.groups:
        add(GROUP, g["groupid"], stack, groupId=g["groupid"])
    user_parent: dict[str, str | None] = {}
    for u in live.users:
        groups = split_list(u.get("groups"))
        fallback = next((group_tenant[g] for g in groups if g in group_tenant), stack)
        user_parent[u["userid"]] = add(USER, u["userid"], fallback, userId=u["userid"], groups=groups).parent
        for t in u.get("tokens") or []:
            add(
                TOKEN,
                f"{u['userid']}!{t['tokenid']}",
                user_parent[u["userid"]],
                userId=u["userid"],
                tokenName=t["tokenid"],
                privilegesSeparation=as_bool(t.get("privsep"), True),
            )
    for n, a in enumerate(live.acls):
        who = {"user": "userId", "group": "groupId", "token": "tokenId"}[a["type"]]
        add(
            ACL,
            f"{n}",
            stack,
            path=a["path"],
            roleId=a["roleid"],
            propagate=as_bool(a.get("propagate"), True),
            **{who: a["ugid"]},
        )
    for g in live.guests:
        kind = VM if g.get("type") == "qemu" else CT
        r = add(kind, str(g["vmid"]), stack, vmId=g["vmid"], poolId=g.get("pool"))
        if g.get("pool") in pool_tenant:  # a guest in a tenant's pool is that tenant's, planned there or not
            r.parent = pool_tenant[g["pool"]]
    for p in live.pools:
        for m in p.get("members") or []:
            if m.get("type") == "storage":
                add(MEMBERSHIP, f"{p['poolid']}/{m.get('storage')}", stack, poolId=p["poolid"], storageId=m["storage"])
    for z in live.zones:
        add(ZONE, z["zone"], stack, resourceId=z["zone"])
    for v in live.vnets:
        add(VNET, v["vnet"], stack, resourceId=v["vnet"], zone=v.get("zone"))
    return Recording(resources=[*components, *out])


def check_live_access(plan: Recording, live: LiveState) -> list[Finding]:
    """Isolation, monitoring and usability on the cluster's access config."""
    view = live_recording(plan, live)
    try:
        violations = check_isolation(view) + check_monitoring(view)
        live_model = AccessModel.from_recording(view)
    except ProofError as exc:
        return [Finding(Category.ISOLATION, "access", "*", f"cannot evaluate the live permissions: {exc}")]
    out = [
        Finding(Category.ISOLATION, "privilege", f"{v.principal} {v.path}", f"live: {v}", tenant=v.tenant)
        for v in violations
    ]
    plan_model = AccessModel.from_recording(plan)
    assets = tenant_assets(plan, plan_model)
    paths = plan_model.relevant_paths({p for ps in assets.values() for p in ps})
    for principal in plan_model.principals():
        for path in paths:
            lost = plan_model.privileges(principal, path) - live_model.privileges(principal, path)
            if lost:
                out.append(
                    Finding(
                        Category.USABILITY,
                        "privilege",
                        f"{principal} {path}",
                        f"{principal} no longer holds {', '.join(sorted(lost))} on {path} (planned)",
                        planned=sorted(lost),
                        tenant=plan_model.tenant_of.get(principal),
                    )
                )
    return out
