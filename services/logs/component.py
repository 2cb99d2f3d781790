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
    """The tenant's Graylog VM (its forwarders on every other guest are LogForwarders)."""

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
        self.prefix, self.params = name, params
        self.register_outputs({"graylog": params.external_uri})


@dataclass
class LogForwardersArgs:
    """Inputs of LogForwarders."""

    stack: LoggingStack
    """The tenant's Graylog (its VM, its syslog input)."""
    args: LoggingStackArgs
    """What Graylog was built from: the tenant (every guest) and the guest setup."""
    guests: dict[str, pulumi.Resource]
    """Every guest's VM or container resource by name: each forwarder waits for its guest."""


class LogForwarders(pulumi.ComponentResource):
    """rsyslog forwarding (TCP, disk-assisted queue) to Graylog on every other guest of the tenant. Its commands
    keep the place they were first deployed with (children of the LoggingStack, named after it): each carries
    `aliases=[Alias(parent=<the LoggingStack>)]`."""

    def __init__(self, name: str, args: LogForwardersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, stack = args.args.tenant, args.stack
        super().__init__("proxcloud:index:LogForwarders", name, {"tenant": tenant.name}, opts)
        graylog = tenant.guest_at("logging.graylog")
        self.forwarders = on_every_guest(
            self,
            f"{stack.prefix}-rsyslog",
            tenant,
            args.args.setup,
            {**args.guests, graylog.name: stack.server},
            lambda g: rsyslog_container_script(str(graylog.address), stack.params.syslog_port),
            skip=graylog.name,
            aliases=[pulumi.Alias(parent=stack)],
        )
        self.register_outputs({"graylog": stack.params.external_uri, "forwarders": len(self.forwarders)})


def build(ctx: ServiceContext) -> ServiceParts:
    args = LoggingStackArgs(ctx.tenant, ctx.needs_setup())
    stack = LoggingStack(f"{ctx.name}-logging", args, opts=ctx.opts)
    name = ctx.tenant.guest_at("logging.graylog").name

    def forwarders(guests: dict[str, pulumi.Resource]) -> LogForwarders:
        return LogForwarders(
            f"{stack.prefix}-forwarders",
            LogForwardersArgs(stack, args, guests),
            opts=pulumi.ResourceOptions(parent=stack),
        )

    return ServiceParts(stack, vms={name: stack.server}, on_every_guest=forwarders)
