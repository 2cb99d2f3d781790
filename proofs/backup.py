"""Backup coverage over a planned graph: every stateful guest is selected by an enabled backup job (and, on a
multi-node stack, replicated to another node).

A guest is stateful when its CloudInitVm (or container) component says so; a guest without such a component
counts as stateful (fail closed). A job selects guests as vzdump does (pve-manager PVE/VZDump.pm
`get_included_guests`): by `pool` (the guest's poolId) if set, else by `vmids`, else by `all` minus `excludes`;
`excludes` are read in the `all` branch only, so on a pool or vmid job they are ignored (and the plan must not
carry any: `ignored_excludes`).
"""

from __future__ import annotations

from proofs.privileges import CT, VM
from tools.mockengine import Recording, Registration

JOB = "proxmoxve:backup/job:Job"
REPLICATION = "proxmoxve:index/replication:Replication"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"


def stateful_guests(rec: Recording) -> list[Registration]:
    by_urn = rec.by_urn()
    out = []
    for g in rec.by_type(VM) + rec.by_type(CT):
        owner = by_urn.get(g.parent or "")
        stateful = owner.inputs.get("stateful", True) if owner is not None and not owner.custom else True
        if stateful is not False:
            out.append(g)
    return out


def _selects(job: Registration, guest: Registration) -> bool:
    i, vmid = job.inputs, str(guest.inputs.get("vmId"))
    if i.get("enabled") is False:
        return False
    if i.get("pool"):
        return bool(i["pool"] == guest.inputs.get("poolId"))
    if i.get("vmids"):
        return vmid in [str(x) for x in i["vmids"]]
    return bool(i.get("all")) and vmid not in [str(x) for x in i.get("excludes") or []]


def ignored_excludes(rec: Recording) -> list[str]:
    """Jobs whose `excludes` vzdump ignores (a pool or vmid job): the plan would promise what PVE does not do."""
    return [
        j.name for j in rec.by_type(JOB) if j.inputs.get("excludes") and (j.inputs.get("pool") or j.inputs.get("vmids"))
    ]


def unbacked(rec: Recording) -> list[str]:
    """Names of stateful guests no enabled backup job selects."""
    jobs = rec.by_type(JOB)
    return [g.name for g in stateful_guests(rec) if not any(_selects(j, g) for j in jobs)]


def unreplicated(rec: Recording) -> list[str]:
    """On a multi-node stack: stateful guests without a replication job to another node."""
    nodes = {n for z in rec.by_type(ZONE) for n in z.inputs.get("nodes", [])}
    if len(nodes) < 2:
        return []
    replicated = {(r.inputs["resourceId"].split("-")[0], r.inputs["target"]) for r in rec.by_type(REPLICATION)}
    return [
        g.name
        for g in stateful_guests(rec)
        if not any(vmid == str(g.inputs["vmId"]) and target != g.inputs["nodeName"] for vmid, target in replicated)
    ]
