"""ZabbixStack: the server + frontend VM (Compose, services/zabbix/render.py) and an agent 2 on every other guest
of the tenant, installed with `pct exec` or the QEMU guest agent (components/services.py `on_every_guest`)."""

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
    """The server + frontend VM (Compose) and a Zabbix agent 2 on every other guest of the tenant."""

    def __init__(self, name: str, args: ZabbixStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, setup = args.tenant, args.setup
        assert tenant.zabbix is not None
        super().__init__("proxcloud:index:ZabbixStack", name, {"tenant": tenant.name}, opts)
        server = tenant.guest_at("zabbix.server")
        db_pw = password(f"{name}-db-password", self)

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
        self._name, self._args = name, args

    def install_agents(self, guests: dict[str, pulumi.Resource]) -> None:
        """An agent 2 on every other guest (call once all guests exist: `guests` maps names to their resources)."""
        tenant = self._args.tenant
        server = tenant.guest_at("zabbix.server")
        self.agents = on_every_guest(
            self,
            f"{self._name}-agent",
            tenant,
            self._args.setup,
            {**guests, server.name: self.server},
            lambda g: zabbix_agent_script(str(server.address), g.name, str(g.address)),
            skip=server.name,
        )
        self.register_outputs({"server": str(server.address), "agents": len(self.agents)})


def build(ctx: ServiceContext) -> ServiceParts:
    stack = ZabbixStack(f"{ctx.name}-zabbix", ZabbixStackArgs(ctx.tenant, ctx.needs_setup()), opts=ctx.opts)
    name = ctx.tenant.guest_at("zabbix.server").name
    return ServiceParts(stack, vms={name: stack.server}, on_every_guest=stack.install_agents)
