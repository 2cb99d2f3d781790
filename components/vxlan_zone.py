"""VxlanZone: a tenant's VXLAN SDN zone with its VNets (VNI tags) and their subnets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from model.platform import Vnet


@dataclass
class VxlanZoneArgs:
    """Inputs of VxlanZone."""

    zone_id: str
    """PVE SDN zone id (2-8 characters)."""
    mtu: pulumi.Input[int]
    """VNet MTU: the underlay MTU minus the 50 bytes of VXLAN encapsulation, or less."""
    peers: pulumi.Input[list[str]]
    """VTEP addresses of every node: VXLAN has no control plane, each node floods to all peers."""
    nodes: pulumi.Input[list[str]]
    """Nodes the zone is deployed on."""
    vnets: list[Vnet]
    """The zone's VNets, VNIs and subnets, as allocated by the spec layer."""
    finalizer: pulumi.Resource
    """The stack's SDN finalizer (SdnApply.finalizer); every SDN object depends on it."""


class VxlanZone(pulumi.ComponentResource):
    """One zone; `sdn_objects` lists its zone, VNets and subnets for the stack's SDN apply."""

    zone: px.sdn.zone.Vxlan
    vnets: dict[str, px.sdn.Vnet]
    subnets: dict[str, px.sdn.Subnet]
    zone_id: pulumi.Output[str]

    def __init__(self, name: str, args: VxlanZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:VxlanZone", name, None, opts)
        after_finalizer = pulumi.ResourceOptions(parent=self, depends_on=[args.finalizer])
        self.zone = px.sdn.zone.Vxlan(
            f"{name}-zone",
            resource_id=args.zone_id,
            peers=args.peers,
            nodes=args.nodes,
            mtu=args.mtu,
            ipam="pve",
            opts=after_finalizer,
        )
        self.vnets, self.subnets = {}, {}
        for v in args.vnets:
            vnet = px.sdn.Vnet(
                f"{name}-{v.id}",
                resource_id=v.id,
                zone=self.zone.resource_id,
                tag=v.vni,
                alias=v.description,
                opts=after_finalizer,
            )
            self.subnets[v.id] = px.sdn.Subnet(
                f"{name}-{v.id}-subnet",
                vnet=vnet.resource_id,
                cidr=str(v.cidr),
                gateway=str(v.gateway),
                snat=False,
                opts=after_finalizer,
            )
            self.vnets[v.id] = vnet
        self.zone_id = self.zone.resource_id
        self.register_outputs(
            {
                "zone_id": self.zone_id,
                "vnets": {k: vn.resource_id for k, vn in self.vnets.items()},
                "subnets": {k: sn.cidr for k, sn in self.subnets.items()},
            }
        )

    @property
    def sdn_objects(self) -> list[pulumi.Resource]:
        return [self.zone, *self.vnets.values(), *self.subnets.values()]
