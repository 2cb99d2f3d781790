"""Readiness ordering over a planned graph: every guest is created only after what its first boot needs.

Needs, per guest (a VmLegacy or ContainerLegacy of the plan, matched to the spec by VM id):
* its pool exists: PVE refuses to create a guest in a missing pool (qemu-server src/PVE/API2/Qemu.pm and
  pve-container src/PVE/API2/LXC.pm, `create_vm`: `$rpcenv->check_pool_exist($pool)`);
* every router on its path to the internet routes: the RouterReadiness check of each such router is among the
  guest's dependencies (transitively).

The path comes from the spec's topology, independently of how the components wire it: a guest's default
gateway is the `gateway4` of its first NIC that has one; the router is the guest that holds that address on the
same bridge and VLAN (a tenant proxy holds its VNets' gateways; the provider edge the .1 of every hosted /30 on
the transit VNet); the walk goes on from the router until a gateway no guest of the stack holds (the public
gateway).

And per command that runs inside a guest: a VM's command waits for cloud-init to finish in it (`qm guest exec`
of `cloud-init status --wait` before the script, or the SSH command opening with the wait); a container has no
cloud-init (`pct exec`). A command that runs elsewhere is named in RUNS_ELSEWHERE with the reason; any other
command fails the proof (fail closed).

Not modelled: whether the router actually forwards (the check does that on the cluster), IPv6 paths (the
routers' IPv4 NAT is what first boots use), DNS resolvers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from model.containers import Container
from model.platform import Platform, Vm
from proofs.privileges import CT, VM
from tools.mockengine import Recording, Registration

COMMAND = "command:remote:Command"
READINESS = "proxcloud:index:RouterReadiness"
POOL = "proxmoxve:index/poolLegacy:PoolLegacy"
CLOUD_INIT_WAIT = "cloud-init status --wait"

# Commands that do not run inside a guest, by the component type that owns them.
RUNS_ELSEWHERE = {
    "proxcloud:index:BackupPlan": "runs on the PBS host (namespaces, verify and prune jobs), not in a guest",
    "proxcloud:index:RestoreDrill": "runs on the drill node (installs the drill's files and timer), not in a guest",
    "proxcloud:index:TenantStorage": "runs on each PVE node (creates the tenant's ZFS datasets), not in a guest",
}

Guest = Vm | Container
Where = tuple[str, int | None, ipaddress.IPv4Address]


def _guests(platform: Platform) -> list[Guest]:
    out: list[Guest] = [g for t in platform.tenants for g in t.guests]
    return out + ([platform.edge.vm] if platform.edge is not None else [])


def _holders(platform: Platform) -> dict[Where, Guest]:
    """(bridge, VLAN, address) -> the guest holding it."""
    held: dict[Where, Guest] = {}
    for g in _guests(platform):
        for nic in g.nics:
            if nic.ipv4 is not None:
                held[(nic.bridge, nic.vlan, nic.ipv4.ip)] = g
    if platform.edge is not None and platform.settings.edge is not None:
        transit = platform.settings.edge.transit_vnet
        for net in platform.edge.hosted:  # VLAN interfaces on the edge's trunk, configured inside the router
            held[(transit, net.vlan, net.ipv4.network_address + 1)] = platform.edge.vm
    return held


def routers_on_path(platform: Platform, guest: Guest) -> list[Guest]:
    """The routers between `guest` and the internet, nearest first."""
    held, path, seen = _holders(platform), [], {guest.name}
    current: Guest = guest
    while True:
        nic = next((n for n in current.nics if n.gateway4 is not None), None)
        router = held.get((nic.bridge, nic.vlan, nic.gateway4)) if nic is not None and nic.gateway4 else None
        if router is None or router.name in seen:
            return path
        path.append(router)
        seen.add(router.name)
        current = router


def _closure(rec: Recording, start: Registration) -> set[str]:
    by_urn, todo, seen = rec.by_urn(), list(start.dependencies), set()
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        if urn in by_urn:
            todo.extend(by_urn[urn].dependencies)
    return seen


def _readiness_checks(rec: Recording) -> dict[int, set[str]]:
    """Router VM id -> URNs of its RouterReadiness check commands."""
    components = {r.urn: int(r.inputs["vmId"]) for r in rec.by_type(READINESS)}
    out: dict[int, set[str]] = {}
    for c in rec.by_type(COMMAND):
        if c.parent in components:
            out.setdefault(components[c.parent], set()).add(c.urn)
    return out


def missing_waits(platform: Platform, rec: Recording) -> list[str]:
    """One line per guest creation that does not wait for something its first boot needs."""
    machines = {int(r.inputs["vmId"]): r for r in rec.by_type(VM) + rec.by_type(CT)}
    pools = {r.inputs["poolId"]: r.urn for r in rec.by_type(POOL)}
    checks = _readiness_checks(rec)
    problems = []
    for g in _guests(platform):
        machine = machines.get(g.vm_id)
        if machine is None:
            problems.append(f"{g.name}: no guest with VM id {g.vm_id} in the plan")
            continue
        deps = _closure(rec, machine)
        if pools.get(g.pool_id) not in deps:
            problems.append(f"{g.name}: is created without waiting for its pool {g.pool_id}")
        for router in routers_on_path(platform, g):
            if not checks.get(router.vm_id, set()) & deps:
                problems.append(f"{g.name}: does not wait for its router {router.name} to be ready")
    return problems


def _owner_type(rec: Recording, c: Registration) -> str:
    by_urn = rec.by_urn()
    parent = by_urn.get(c.parent or "")
    while parent is not None and parent.custom:
        parent = by_urn.get(parent.parent or "")
    return parent.type if parent is not None else ""


def _waits_for_cloud_init(create: str) -> bool:
    if create.startswith("rc=0; " + CLOUD_INIT_WAIT):  # over SSH into the guest
        return True
    stdin_exec = create.find("--pass-stdin")
    wait = create.find(f"-- {CLOUD_INIT_WAIT}")
    return "qm guest exec" in create and 0 <= wait < stdin_exec


def unwaited_commands(rec: Recording, commands: Iterable[Registration] | None = None) -> list[str]:
    """Commands that run inside a VM without waiting for its cloud-init, or run somewhere not accounted for."""
    problems = []
    for c in rec.by_type(COMMAND) if commands is None else commands:
        create = str(c.inputs.get("create", ""))
        if "pct exec" in create and "qm guest" not in create:
            continue  # a container: no cloud-init
        if _owner_type(rec, c) in RUNS_ELSEWHERE:
            continue
        if not _waits_for_cloud_init(create):
            problems.append(f"{c.name}: runs in a guest (or somewhere unlisted) without waiting for cloud-init")
    return problems
