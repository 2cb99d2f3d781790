"""ProviderEdge: the provider edge router - north-south traffic of the provider's network.

The provider's router VM (render/router.py) with a public NIC and a trunk on the VLAN-aware transit VNet of the
provider's own VXLAN zone; every hosted VM (setup B) and every tenant proxy uplink (setup D) is a VLAN there. It
SNATs tenant egress to the primary address and DNATs forwards and tenants' secondary addresses. (A tenant's own
reverse proxy is another thing: services/proxy/, re-exported here as ReverseProxy.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from components.guest_exec import node_ssh
from components.readiness import RouterReadiness, RouterReadinessArgs
from components.vm import CloudInitVm, CloudInitVmArgs
from model.edge import router_spec
from model.platform import EdgePlan
from model.settings import StackSettings
from render.cloudinit import render_user_data
from render.provision import reconfigure_script
from render.readiness import EDGE_NAT
from render.router import router_cloud_config


@dataclass
class ProviderEdgeArgs:
    """Inputs of ProviderEdge."""

    plan: EdgePlan
    """The router VM, hosted nets, forwards and secondaries, as decided by the spec."""
    settings: StackSettings
    """Edge settings (addresses, transit VNet), datastores, domain."""
    peers: list[str]
    """VTEPs of every node, for the transit zone."""
    nodes: list[str]
    """Nodes the transit zone spans."""
    sdn_finalizer: pulumi.Resource
    """The stack's SDN finalizer."""


class ProviderEdge(pulumi.ComponentResource):
    """The provider's pool and network: `sdn_objects` (zone, transit VNet) join the stack's SDN apply; its router
    VM is EdgeRouter, built after the apply."""

    def __init__(self, name: str, args: ProviderEdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:ProviderEdge", name, {"address": str(args.plan.vm.address)}, opts)
        e = args.settings.edge
        assert e is not None
        after_finalizer = pulumi.ResourceOptions(parent=self, depends_on=[args.sdn_finalizer])
        self.pool = px.PoolLegacy(
            f"{name}-pool",
            pool_id="provider",
            comment="the provider's own guests",
            opts=pulumi.ResourceOptions(parent=self, protect=args.settings.protect_stateful),
        )
        self.zone = px.sdn.zone.Vxlan(
            f"{name}-zone",
            resource_id=e.transit_zone,
            peers=args.peers,
            nodes=args.nodes,
            mtu=args.plan.vm.nics[1].mtu,
            ipam="pve",
            opts=after_finalizer,
        )
        self.transit = px.sdn.Vnet(
            f"{name}-transit",
            resource_id=e.transit_vnet,
            zone=self.zone.resource_id,
            tag=e.transit_vni,
            vlan_aware=True,
            alias="provider transit - one VLAN per hosted VM and tenant uplink",
            opts=after_finalizer,
        )
        self.prefix = name  # what the router's resources are named after (EdgeRouter)
        self.register_outputs({"transit": self.transit.resource_id, "zone": self.zone.resource_id})

    @property
    def sdn_objects(self) -> list[pulumi.Resource]:
        return [self.zone, self.transit]


@dataclass
class EdgeRouterArgs:
    """Inputs of EdgeRouter."""

    edge: ProviderEdge
    """The provider edge's network: its pool (the router's) and transit VNet."""
    plan: EdgePlan
    """The router VM, hosted nets, forwards and secondaries, as decided by the spec."""
    settings: StackSettings
    """Edge settings, datastores, domain."""
    image_file_ids: dict[str, pulumi.Output[str]]
    """Cloud image volume id per node; carries the SDN apply."""
    node_key: pulumi.Input[str]
    """The nodes' SSH key (secret): the readiness check runs inside the router from its node."""


class EdgeRouter(pulumi.ComponentResource):
    """The edge's router VM (render/router.py) and its readiness check (`ready`: hosted VMs and the tenant proxies'
    uplinks wait for it). Its children keep the place they were first deployed with (children of ProviderEdge,
    named after it): each carries `aliases=[Alias(parent=<the ProviderEdge>)]`."""

    def __init__(self, name: str, args: EdgeRouterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:EdgeRouter", name, {"address": str(args.plan.vm.address)}, opts)
        e, edge = args.settings.edge, args.edge
        assert e is not None
        moved = [pulumi.Alias(parent=edge)]
        config = router_cloud_config(e.name, args.plan.vm.ssh_keys, router_spec(args.plan, args.settings))
        ssh = node_ssh(args.settings, args.plan.vm.node, args.node_key)
        self.router = CloudInitVm(
            f"{edge.prefix}-router",
            # forwards, secondaries and adminFrom change later: `reconfigure` brings them to the running router
            CloudInitVmArgs.of(
                args.plan.vm,
                render_user_data(config),
                args.settings,
                args.image_file_ids,
                after=[edge.pool],
                reconfigure=reconfigure_script("edge-router", config),
                node_ssh=ssh,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[edge.pool, edge.transit], aliases=moved),
        )
        self.ready = RouterReadiness(
            f"{edge.prefix}-ready",
            RouterReadinessArgs(args.plan.vm, self.router.machine, EDGE_NAT, ssh),
            opts=pulumi.ResourceOptions(parent=self, aliases=moved),
        )
        self.register_outputs({"address": str(e.public_ipv4.ip), "transit": edge.transit.resource_id})


# The tenant's reverse proxy lives in its service folder; importable here as the project was specified.
from services.proxy.component import ReverseProxy, ReverseProxyArgs  # noqa: E402

__all__ = ["EdgeRouter", "EdgeRouterArgs", "ProviderEdge", "ProviderEdgeArgs", "ReverseProxy", "ReverseProxyArgs"]
