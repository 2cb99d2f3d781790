"""ReverseProxy: a tenant's proxy VM (Nginx Proxy Manager or Caddy, services/proxy/render.py) that routes by host
name to internal upstreams and is the router of the tenant's VNets (render/natgw.py). Routes change without
rebuilding the VM: a pulumi-command over SSH applies each new route set idempotently (NPM's API or a validated
Caddyfile)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.guest_exec import node_ssh
from components.readiness import RouterReadiness, RouterReadinessArgs
from components.services import ServiceContext, ServiceParts
from components.vm import CloudInitVm, CloudInitVmArgs
from model.dhcp import dhcp_server
from model.platform import Vm
from model.settings import StackSettings
from render.cloudinit import render_user_data
from render.dhcp import DhcpServer
from render.natgw import with_gateway
from render.readiness import PROXY_NAT
from services import routes
from services.proxy.model import ProxyEngine, ProxySpec
from services.proxy.render import (
    Route,
    caddy_apply_command,
    caddy_edge_cloud_config,
    caddyfile,
    npm_apply_command,
    npm_edge_cloud_config,
    npm_routes_json,
)


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


def build(ctx: ServiceContext) -> ServiceParts:
    t, settings = ctx.tenant, ctx.settings
    assert t.proxy is not None
    vm = t.guest_at("proxy")
    assert isinstance(vm, Vm)
    proxy = ReverseProxy(
        f"{ctx.name}-proxy",
        ReverseProxyArgs(
            spec=t.proxy,
            vm=vm,
            routes=[r.route for r in routes(t, settings.domain)],
            lans=[str(v.cidr) for v in t.vnets],
            settings=settings,
            image_file_ids=ctx.image_file_ids,
            ssh_private_key=ctx.ops_ssh_private_key,
            node_key=ctx.node_key,
            after=ctx.waits_for(vm),
            dhcp=dhcp_server(t, settings),
        ),
        opts=ctx.opts,
    )
    return ServiceParts(proxy, vms={vm.name: proxy.vm})
