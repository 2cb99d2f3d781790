"""LoggingStack: the tenant's Graylog VM (services/logs/render.py), and rsyslog forwarding (TCP, disk-assisted
queue) on every other guest, installed with `pct exec` or the QEMU guest agent."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.services import GuestSetup, ServiceContext, ServiceParts, on_every_guest, password
from components.vm import CloudInitVm, CloudInitVmArgs
from model.platform import TenantSpec
from render.cloudinit import render_user_data
from services.logs.render import GraylogParams, graylog_vm_cloud_config, rsyslog_container_script


@dataclass
class LoggingStackArgs:
    """Inputs of LoggingStack."""

    tenant: TenantSpec
    """The tenant: its `logging` settings, its Graylog VM and every guest that forwards to it."""
    setup: GuestSetup
    """Images, node access and what the guests wait for."""


class LoggingStack(pulumi.ComponentResource):
    """The tenant's Graylog VM, and rsyslog forwarding (TCP, disk-assisted queue) on every other guest."""

    def __init__(self, name: str, args: LoggingStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, setup = args.tenant, args.setup
        lg = tenant.logging
        assert lg is not None
        super().__init__("proxcloud:index:LoggingStack", name, {"tenant": tenant.name}, opts)
        graylog = tenant.guest_at("logging.graylog")
        params = GraylogParams(internal_address=str(graylog.address), external_uri=f"https://{lg.public_host}/")
        pepper, admin = password(f"{name}-password-secret", self, 96), password(f"{name}-admin-password", self, 24)
        user_data = pulumi.Output.secret(
            pulumi.Output.all(pepper, admin).apply(
                lambda v: render_user_data(
                    graylog_vm_cloud_config(
                        params,
                        hostname=graylog.name,
                        ssh_keys=graylog.ssh_keys,
                        password_secret=v[0],
                        root_password=v[1],
                    )
                )
            )
        )
        self.server = CloudInitVm(
            f"{name}-graylog",
            CloudInitVmArgs.of(graylog, user_data, setup.settings, setup.image_file_ids, setup.after),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.admin_password = admin
        self._name, self._args, self._params = name, args, params

    def forward_from(self, guests: dict[str, pulumi.Resource]) -> None:
        """rsyslog forwarding on every other guest (call once all guests exist)."""
        tenant = self._args.tenant
        graylog = tenant.guest_at("logging.graylog")
        self.forwarders = on_every_guest(
            self,
            f"{self._name}-rsyslog",
            tenant,
            self._args.setup,
            {**guests, graylog.name: self.server},
            lambda g: rsyslog_container_script(str(graylog.address), self._params.syslog_port),
            skip=graylog.name,
        )
        self.register_outputs({"graylog": self._params.external_uri, "forwarders": len(self.forwarders)})


def build(ctx: ServiceContext) -> ServiceParts:
    stack = LoggingStack(f"{ctx.name}-logging", LoggingStackArgs(ctx.tenant, ctx.needs_setup()), opts=ctx.opts)
    name = ctx.tenant.guest_at("logging.graylog").name
    return ServiceParts(stack, vms={name: stack.server}, on_every_guest=stack.forward_from)
