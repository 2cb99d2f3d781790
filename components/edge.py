"""ProviderEdge and ReverseProxy: north-south traffic.

ProviderEdge: the provider's router VM (render/router.py) with a public NIC and a trunk on the VLAN-aware transit
VNet of the provider's own VXLAN zone; every hosted VM (setup B) and every tenant proxy uplink (setup D) is a
VLAN there. It SNATs tenant egress to the primary address and DNATs forwards and tenants' secondary addresses.

ReverseProxy: a tenant's proxy VM (Nginx Proxy Manager or Caddy, render/edge.py) that routes by host name to
internal upstreams and is the router of the tenant's VNets (render/natgw.py). Routes change without rebuilding
the VM: a pulumi-command over SSH applies each new route set idempotently (NPM's API or a validated Caddyfile).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
import pulumi_random as random
from pulumi_command import remote

from components.guest_exec import node_ssh
from components.readiness import RouterReadiness, RouterReadinessArgs
from components.vm import CloudInitVm, CloudInitVmArgs
from model.edge import router_spec
from model.models import ProxyEngine, ProxySpec, StackSettings
from model.platform import EdgePlan, Vm
from render.cloudinit import render_user_data
from render.dhcp import DhcpServer
from render.edge import (
    Route,
    caddy_apply_command,
    caddy_edge_cloud_config,
    caddyfile,
    npm_apply_command,
    npm_edge_cloud_config,
    npm_routes_json,
)
from render.natgw import with_gateway
from render.provision import reconfigure_script
from render.readiness import EDGE_NAT, PROXY_NAT
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
    """`router` is the edge VM; `sdn_objects` (zone, transit VNet) join the stack's SDN apply."""

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
        self._name, self._args = name, args

    def add_router(self, image_file_ids: dict[str, pulumi.Output[str]], node_key: pulumi.Input[str]) -> None:
        """Second phase, once the SDN apply exists (the image ids carry it): the router VM and its readiness check
        (`ready`: hosted VMs and the tenant proxies' uplinks wait for it). Call once."""
        args = self._args
        e = args.settings.edge
        assert e is not None
        config = router_cloud_config(e.name, args.plan.vm.ssh_keys, router_spec(args.plan, args.settings))
        ssh = node_ssh(args.settings, args.plan.vm.node, node_key)
        self.router = CloudInitVm(
            f"{self._name}-router",
            # forwards, secondaries and adminFrom change later: `reconfigure` brings them to the running router
            CloudInitVmArgs.of(
                args.plan.vm,
                render_user_data(config),
                args.settings,
                image_file_ids,
                after=[self.pool],
                reconfigure=reconfigure_script("edge-router", config),
                node_ssh=ssh,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pool, self.transit]),
        )
        self.ready = RouterReadiness(
            f"{self._name}-ready",
            RouterReadinessArgs(args.plan.vm, self.router.machine, EDGE_NAT, ssh),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"address": str(e.public_ipv4.ip), "transit": self.transit.resource_id})

    @property
    def sdn_objects(self) -> list[pulumi.Resource]:
        return [self.zone, self.transit]


@dataclass
class ReverseProxyArgs:
    """Inputs of ReverseProxy."""

    spec: ProxySpec
    """Engine, ACME e-mail, declared routes."""
    vm: Vm
    """The resolved proxy VM: internal NICs on the tenant's VNets (their gateways), then its WAN NIC."""
    routes: list[Route]
    """Every route: the declared ones and the services' (HumHub, monitoring)."""
    lans: list[str]
    """The tenant's VNet CIDRs it routes."""
    settings: StackSettings
    """Datastores, domain, the edge (SSH jump host)."""
    image_file_ids: dict[str, pulumi.Output[str]]
    """Cloud image volume id per node."""
    ssh_private_key: pulumi.Input[str]
    """The operators' SSH key (secret), for applying route changes."""
    node_key: pulumi.Input[str]
    """The nodes' SSH key (secret): the readiness check runs inside the proxy from its node."""
    after: Sequence[pulumi.Resource] = ()
    """What the proxy VM waits for: the tenant's pool, and the provider edge's readiness when it uplinks there."""
    dhcp: DhcpServer | None = None
    """DHCP and DNS the proxy serves on the tenant's VNets that declare a range (model/dhcp.py); None: none."""


class ReverseProxy(pulumi.ComponentResource):
    """The proxy VM and the command that keeps its routes current."""

    def __init__(self, name: str, args: ReverseProxyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        p, vm = args.spec, args.vm
        dhcp = {lan.vnet: f"{lan.start}-{lan.end}" for lan in args.dhcp.lans} if args.dhcp is not None else {}
        super().__init__(
            "proxcloud:index:ReverseProxy",
            name,
            {"engine": str(p.engine), "routes": len(args.routes), "dhcp": dhcp},
            opts,
        )
        child = pulumi.ResourceOptions(parent=self)
        wan = vm.nics[-1]
        assert wan.ipv4 is not None
        wan_address = str(wan.ipv4.ip)
        # The routes are not first-boot input (user data is frozen, components/vm.py): the VM boots with none and
        # `routes_applied` below delivers them, again on every change and whenever the VM is replaced.
        if p.engine is ProxyEngine.NPM:
            admin = random.RandomPassword(f"{name}-npm-admin", length=24, special=False, opts=child)
            self.admin_password = pulumi.Output.secret(admin.result)
            user_data: pulumi.Input[str] = pulumi.Output.secret(
                self.admin_password.apply(
                    lambda pw: render_user_data(
                        with_gateway(
                            npm_edge_cloud_config(vm.name, vm.ssh_keys, (), p.acme_email, pw),
                            args.lans,
                            wan_address,
                            args.dhcp,
                        )
                    )
                )
            )
            document, command = npm_routes_json(args.routes, p.acme_email), npm_apply_command()
        else:
            self.admin_password = pulumi.Output.secret("")
            user_data = render_user_data(
                with_gateway(
                    caddy_edge_cloud_config(vm.name, vm.ssh_keys, (), p.acme_email),
                    args.lans,
                    wan_address,
                    args.dhcp,
                )
            )
            document, command = caddyfile(args.routes, p.acme_email), caddy_apply_command()
        self.vm = CloudInitVm(
            f"{name}-vm", CloudInitVmArgs.of(vm, user_data, args.settings, args.image_file_ids, args.after), opts=child
        )
        self.ready = RouterReadiness(
            f"{name}-ready",
            RouterReadinessArgs(vm, self.vm.machine, PROXY_NAT, node_ssh(args.settings, vm.node, args.node_key)),
            opts=child,
        )
        e = args.settings.edge
        key = pulumi.Output.secret(args.ssh_private_key)
        jump = (
            remote.ProxyConnectionArgs(host=str(e.public_ipv4.ip), user="ops", private_key=key)
            if e is not None and wan.vlan is not None
            else None
        )
        self.routes_applied = remote.Command(
            f"{name}-routes",
            connection=remote.ConnectionArgs(host=wan_address, user="ops", private_key=key, proxy=jump),
            create=command,
            update=command,
            stdin=document,
            triggers=[hashlib.sha256(document.encode()).hexdigest(), self.vm.machine.id],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.vm]),
        )
        self.hosts = sorted(r.host for r in args.routes)
        self.register_outputs({"hosts": self.hosts, "address": wan_address})
