"""RouterReadiness: a router's guests boot only once it routes.

A tenant's guests reach the internet through the tenant proxy (the router of its VNets); hosted VMs (setup B)
and the proxies' uplinks through the provider edge. cloud-init's package stage (the guest agent, Docker's key,
Caddy) needs that path at first boot, and the provider waits for each VM's agent and only warns when it never
comes (bpg proxmoxtf/resource/vm/network/network.go). So each router gets a check that runs inside it from its
node (components/guest_exec.py): cloud-init finished, IPv4 forwarding on, its NAT table loaded
(render/readiness.py); every guest behind it depends on the check (proofs/readiness.py proves it per guest).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.container import NodeSsh
from components.guest_exec import qm_exec_command
from model.platform import Vm
from render.readiness import router_ready_script


@dataclass
class RouterReadinessArgs:
    """Inputs of RouterReadiness."""

    router: Vm
    """The router VM (the tenant proxy or the provider edge); it runs the QEMU guest agent."""
    machine: pulumi.CustomResource
    """Its VmLegacy: the check runs once it exists, and again when it is replaced."""
    nat_table: tuple[str, str]
    """nftables family and table that holds its source NAT (render/readiness.py PROXY_NAT, EDGE_NAT)."""
    node_ssh: NodeSsh
    """SSH to the router's node (root, the node key)."""


class RouterReadiness(pulumi.ComponentResource):
    """`check` succeeds once the router forwards and NATs; guests behind the router depend on it."""

    check: remote.Command

    def __init__(self, name: str, args: RouterReadinessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        vm = args.router
        super().__init__("proxcloud:index:RouterReadiness", name, {"router": vm.name, "vmId": vm.vm_id}, opts)
        ssh = args.node_ssh
        self.check = remote.Command(
            f"{name}-check",
            connection=remote.ConnectionArgs(host=ssh.host, user=ssh.user, private_key=ssh.private_key),
            create=qm_exec_command(vm.vm_id),
            stdin=router_ready_script(args.nat_table),
            triggers=[args.machine.id],  # a replaced router is checked again before its guests go on
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.machine]),
        )
        self.register_outputs({"router": vm.name, "vm_id": vm.vm_id})
