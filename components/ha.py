"""HighAvailability: ZFS storage replication of stateful VMs and PVE 9 HA resources and rules (multi-node).

Replication keeps a copy of each stateful VM's disks on the next node (fast migration for maintenance, quick
recovery). In prod (protectStateful) each stateful VM is an HA resource with a node-affinity rule preferring
its home node; VMs that must not share a node (keep_apart_from: prod and test of one service) get a negative
resource-affinity rule. A single-node stack plans none of this.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from spec.containers import Container
from spec.models import HaSpec
from spec.platform import Vm


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


def replication_target(vm: Vm | Container, nodes: list[str]) -> str:
    """The next node after the VM's own, round robin."""
    return nodes[(nodes.index(vm.node) + 1) % len(nodes)]


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
        for vm in args.vms:
            if not vm.stateful:
                continue
            after_vm = pulumi.ResourceOptions(parent=self, depends_on=[args.machines[vm.name]])
            self.replications[vm.name] = px.Replication(
                f"{name}-{vm.name}-replication",
                resource_id=f"{vm.vm_id}-0",
                target=replication_target(vm, args.nodes),
                type="local",
                schedule=args.ha.replication_schedule,
                rate=args.ha.rate_mbps,
                comment=f"proxcloud: {vm.tenant}/{vm.name}",
                opts=after_vm,
            )
            if not args.ha_resources:
                continue
            res = px.Haresource(
                f"{name}-{vm.name}-ha",
                resource_id=f"{kind(vm)}:{vm.vm_id}",
                state="started",
                max_restart=2,
                max_relocate=2,
                comment=f"proxcloud: {vm.tenant}/{vm.name}",
                opts=after_vm,
            )
            self.resources[vm.name] = res
            self.rules.append(
                px.Harule(
                    f"{name}-{vm.name}-home",
                    rule=f"home-{vm.vm_id}",
                    type="node-affinity",
                    resources=[f"{kind(vm)}:{vm.vm_id}"],
                    nodes={n: (2 if n == vm.node else 1) for n in args.nodes},
                    strict=False,
                    comment=f"{vm.name} prefers {vm.node}",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[res]),
                )
            )
        pairs = sorted(
            {tuple(sorted((vm.name, other))) for vm in args.vms for other in getattr(vm, "keep_apart_from", ())},
        )
        for a, b in pairs:
            if a in self.resources and b in self.resources:
                self.rules.append(
                    px.Harule(
                        f"{name}-apart-{a}-{b}",
                        rule=f"apart-{by_name[a].vm_id}-{by_name[b].vm_id}",
                        type="resource-affinity",
                        affinity="negative",
                        resources=[f"{kind(by_name[a])}:{by_name[a].vm_id}", f"{kind(by_name[b])}:{by_name[b].vm_id}"],
                        strict=False,
                        comment=f"{a} and {b} never on one node",
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[self.resources[a], self.resources[b]]),
                    )
                )
        self.register_outputs(
            {"replicated": sorted(self.replications), "ha": sorted(self.resources), "rules": len(self.rules)}
        )
