"""HighAvailability: ZFS storage replication of stateful guests and PVE 9 HA resources and rules (multi-node).

Replication keeps a copy of each stateful guest's disks on one other node, its replica node: the next node
round robin, skipping the homes of guests it must be kept apart from (keep_apart_from) while another node is
left. In prod (protectStateful) each stateful guest is an HA resource with one node-affinity rule over its home
and its replica node only - a guest on local ZFS cannot start where its disks are not - and guests that must
not share a node (prod and test of one service) get a negative resource-affinity rule.

Why this shape (pve-ha-manager Rules.pm and its plugins, checked in proofs/ha_rules.py):
- PVE refuses a node-affinity rule with more than one priority for a resource that is also in a resource-affinity
  rule (check_single_priority_node_affinity_in_resource_affinity_rules). A kept-apart guest therefore gets home
  and replica node at one priority: it starts and stays where it is, fails over to the replica node, and moves
  back home only by hand (`ha-manager migrate`), since neither node outranks the other. Every other guest gets
  home 2, replica node 1, so it also fails back home when that node returns.
- PVE takes the nodes of kept-apart guests out of the highest priority class and never falls back to a lower
  one (Manager.pm select_service_node): a guest whose only replica node is another kept-apart guest's home could
  not fail over at all. Hence the skip above.
- Strict rules: a non-strict rule lets PVE add every other node at the lowest priority (NodeAffinity.pm
  plugin_compile), reached when both named nodes are offline - with four or more nodes the cluster can keep
  quorum then and would start the guest where its disks are not (issue 15 item 6).
- Each resource is in exactly one node-affinity rule (check_single_resource_reference); the negative rule comes
  after both guests' node-affinity rules, so PVE checks it against the rules as planned.

A single-node stack plans none of this.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from model.containers import Container
from model.models import HaSpec
from model.platform import Vm


@dataclass
class HighAvailabilityArgs:
    """Inputs of HighAvailability."""

    vms: list[Vm | Container]
    """Every guest (VM or container) of the stack."""
    machines: dict[str, pulumi.Resource]
    """VM name -> its VmLegacy, so replication and HA come after the VM."""
    nodes: list[str]
    """The cluster's nodes (more than one)."""
    ha: HaSpec
    """Replication schedule and rate."""
    ha_resources: bool
    """Make stateful VMs HA resources (prod)."""


def kind(guest: Vm | Container) -> str:
    """PVE's HA resource prefix."""
    return "ct" if isinstance(guest, Container) else "vm"


def _ring(vm: Vm | Container, nodes: list[str]) -> list[str]:
    """The other nodes, starting with the one after the guest's own."""
    start = nodes.index(vm.node)
    return [nodes[(start + k) % len(nodes)] for k in range(1, len(nodes))]


def replication_target(vm: Vm | Container, nodes: list[str], avoid: Collection[str] = ()) -> str:
    """The guest's replica node: the next node after its own, round robin, skipping the nodes in `avoid` (homes
    of guests it is kept apart from) while one is left."""
    ring = _ring(vm, nodes)
    return next((n for n in ring if n not in avoid), ring[0])


# Job numbers count around a ring of this many positions, so appending a node never renumbers a job whose target
# stays (a job number is any integer: pve-guest-common src/PVE/ReplicationConfig.pm `pve-replication-job-id`).
JOB_RING = 100


def replication_job(vm: Vm | Container, nodes: list[str], target: str) -> str:
    """PVE's job id `<vmid>-<n>`, n the target's distance after the guest's node in the node list, counted on a
    ring of JOB_RING positions: 0 for the plain next node (a target before the guest's node counts on past the
    list's end). The id changes whenever the target does (a node added, a skip), because the program ignores
    `target` changes (HA migration swaps source and target, see HighAvailability) and because PVE keeps a deleted
    job in replication.cfg until pvesr has removed its replica (API2/ReplicationConfig.pm delete), so a moved job
    cannot reuse its old id."""
    if len(nodes) > JOB_RING:
        raise ValueError(f"more than {JOB_RING} nodes: replication job numbers would collide")
    return f"{vm.vm_id}-{(nodes.index(target) - nodes.index(vm.node) - 1) % JOB_RING}"


class HighAvailability(pulumi.ComponentResource):
    """Replication jobs, HA resources and HA rules of the stack."""

    def __init__(self, name: str, args: HighAvailabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:HighAvailability", name, None, opts)
        if len(args.nodes) < 2:
            raise ValueError("HighAvailability needs at least two nodes")
        self.replications: dict[str, px.Replication] = {}
        self.resources: dict[str, px.Haresource] = {}
        self.rules: list[px.Harule] = []
        by_name = {vm.name: vm for vm in args.vms}
        stateful = [vm for vm in args.vms if vm.stateful]
        pairs = sorted(
            {
                tuple(sorted((vm.name, other)))
                for vm in stateful
                for other in getattr(vm, "keep_apart_from", ())
                if args.ha_resources and other in by_name and by_name[other].stateful
            }
        )
        kept_apart = {n for pair in pairs for n in pair}
        node_rules: dict[str, px.Harule] = {}
        for vm in stateful:
            avoid = {by_name[o].node for o in getattr(vm, "keep_apart_from", ()) if o in by_name}
            target = replication_target(vm, args.nodes, avoid)
            after_vm = pulumi.ResourceOptions(parent=self, depends_on=[args.machines[vm.name]])
            self.replications[vm.name] = px.Replication(
                f"{name}-{vm.name}-replication",
                resource_id=replication_job(vm, args.nodes, target),
                target=target,
                type="local",
                schedule=args.ha.replication_schedule,
                rate=args.ha.rate_mbps,
                comment=f"proxcloud: {vm.tenant}/{vm.name}",
                # An HA migration swaps the job's source and target (pve-guest-common src/PVE/AbstractMigrate.pm
                # switch_replication_job_target), so a refresh reads the old home as target, and `target` forces
                # a replacement (bpg v0.111.1 fwprovider/cluster/replication/resource.go
                # RequiresReplace) under the same fixed id. A planned target change comes with a new id instead.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[args.machines[vm.name]], ignore_changes=["target"]
                ),
            )
            if not args.ha_resources:
                continue
            sid = f"{kind(vm)}:{vm.vm_id}"
            res = px.Haresource(
                f"{name}-{vm.name}-ha",
                resource_id=sid,
                state="started",
                max_restart=2,
                max_relocate=2,
                comment=f"proxcloud: {vm.tenant}/{vm.name}",
                opts=after_vm,
            )
            self.resources[vm.name] = res
            apart = vm.name in kept_apart
            node_rules[vm.name] = px.Harule(
                f"{name}-{vm.name}-home",
                rule=f"home-{vm.vm_id}",
                type="node-affinity",
                resources=[sid],
                # one priority for kept-apart guests: PVE refuses two (see the module docstring)
                nodes={vm.node: 1, target: 1} if apart else {vm.node: 2, target: 1},
                # strict: a non-strict rule lets PVE add every other node at the lowest priority (pve-ha-manager
                # src/PVE/HA/Rules/NodeAffinity.pm plugin_compile), nodes that hold no replica of the disks
                strict=True,
                comment=f"{vm.name} runs on {vm.node} or its replica node {target}"
                if apart
                else f"{vm.name} prefers {vm.node}, fails over to its replica node {target}",
                opts=pulumi.ResourceOptions(parent=self, depends_on=[res]),
            )
            self.rules.append(node_rules[vm.name])
        for a, b in pairs:
            self.rules.append(
                px.Harule(
                    f"{name}-apart-{a}-{b}",
                    rule=f"apart-{by_name[a].vm_id}-{by_name[b].vm_id}",
                    type="resource-affinity",
                    affinity="negative",
                    resources=[f"{kind(by_name[a])}:{by_name[a].vm_id}", f"{kind(by_name[b])}:{by_name[b].vm_id}"],
                    comment=f"{a} and {b} never on one node",
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        depends_on=[self.resources[a], self.resources[b], node_rules[a], node_rules[b]],
                    ),
                )
            )
        self.register_outputs(
            {"replicated": sorted(self.replications), "ha": sorted(self.resources), "rules": len(self.rules)}
        )
