"""ZabbixStack: the server + frontend VM (Compose, services/zabbix/render.py); ZabbixAgents: an agent 2 on every
other guest of the tenant, installed with `pct exec` or the QEMU guest agent (components/services.py
`on_every_guest`), built once every guest exists."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.services import GuestSetup, ServiceContext, ServiceParts, on_every_guest, password
from components.vm import CloudInitVm, CloudInitVmArgs
from model.platform import TenantSpec
from render.cloudinit import DOCKER_PACKAGES, CloudConfig, docker_apt_source, render_user_data
from services.zabbix.render import zabbix_agent_script, zabbix_server_project


@dataclass
class ZabbixStackArgs:
    """Inputs of ZabbixStack."""

    tenant: TenantSpec
    """The tenant: its `zabbix` settings, its server VM and every guest an agent goes on."""
    setup: GuestSetup
    """Images, node access and what the guests wait for."""


class ZabbixStack(pulumi.ComponentResource):
    """The server + frontend VM (Compose)."""

    def __init__(self, name: str, args: ZabbixStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, setup = args.tenant, args.setup
        assert tenant.zabbix is not None
        super().__init__("proxcloud:index:ZabbixStack", name, {"tenant": tenant.name}, opts)
        server = tenant.guest_at("zabbix.server")
        db_pw = password(f"{name}-db-password", self)
        self.prefix = name

        def user_data(password: str) -> str:
            project = zabbix_server_project(str(server.address), password)
            return render_user_data(
                CloudConfig(
                    hostname=server.name,
                    ssh_keys=server.ssh_keys,
                    packages=DOCKER_PACKAGES,
                    apt_sources=docker_apt_source(),
                    write_files=project.write_files(),
                    runcmd=(("systemctl", "enable", "--now", "docker"), project.up_command()),
                )
            )

        self.server = CloudInitVm(
            f"{name}-server",
            CloudInitVmArgs.of(
                server, pulumi.Output.secret(db_pw.apply(user_data)), setup.settings, setup.image_file_ids, setup.after
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.address = str(server.address)
        self.register_outputs({"server": self.address})


@dataclass
class ZabbixAgentsArgs:
    """Inputs of ZabbixAgents."""

    stack: ZabbixStack
    """The tenant's Zabbix server (its VM, its address)."""
    args: ZabbixStackArgs
    """What the server was built from: the tenant (every guest) and the guest setup."""
    guests: dict[str, pulumi.Resource]
    """Every guest's VM or container resource by name: each agent waits for its guest."""


class ZabbixAgents(pulumi.ComponentResource):
    """A Zabbix agent 2 on every other guest of the tenant, installed with `pct exec` or the QEMU guest agent.
    Its commands keep the place they were first deployed with (children of the ZabbixStack, named after it): each
    carries `aliases=[Alias(parent=<the ZabbixStack>)]`."""

    def __init__(self, name: str, args: ZabbixAgentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, stack = args.args.tenant, args.stack
        super().__init__("proxcloud:index:ZabbixAgents", name, {"tenant": tenant.name}, opts)
        server = tenant.guest_at("zabbix.server")
        self.agents = on_every_guest(
            self,
            f"{stack.prefix}-agent",
            tenant,
            args.args.setup,
            {**args.guests, server.name: stack.server},
            lambda g: zabbix_agent_script(stack.address, g.name, str(g.address)),
            skip=server.name,
            aliases=[pulumi.Alias(parent=stack)],
        )
        self.register_outputs({"server": stack.address, "agents": len(self.agents)})


def build(ctx: ServiceContext) -> ServiceParts:
    args = ZabbixStackArgs(ctx.tenant, ctx.needs_setup())
    stack = ZabbixStack(f"{ctx.name}-zabbix", args, opts=ctx.opts)
    name = ctx.tenant.guest_at("zabbix.server").name

    def agents(guests: dict[str, pulumi.Resource]) -> ZabbixAgents:
        return ZabbixAgents(
            f"{stack.prefix}-agents", ZabbixAgentsArgs(stack, args, guests), opts=pulumi.ResourceOptions(parent=stack)
        )

    return ServiceParts(stack, vms={name: stack.server}, on_every_guest=agents)
