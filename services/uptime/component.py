"""UptimeMonitor: the Uptime Kuma container, its Compose project run with `pct exec` (components/services.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.services import GuestSetup, ServiceContext, ServiceParts
from model.platform import TenantSpec
from render.provision import compose_project_script
from services.uptime.render import uptime_project


@dataclass
class UptimeMonitorArgs:
    """Inputs of UptimeMonitor."""

    tenant: TenantSpec
    """The tenant: its `uptime` settings and the resolved container."""
    setup: GuestSetup
    """Where containers go and what they wait for."""


class UptimeMonitor(pulumi.ComponentResource):
    """One container running Uptime Kuma."""

    def __init__(self, name: str, args: UptimeMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        t = args.tenant
        assert t.uptime is not None
        super().__init__("proxcloud:index:UptimeMonitor", name, {"host": t.uptime.public_host}, opts)
        c = t.guest_at("uptime.container")
        script = compose_project_script(uptime_project(str(c.address)))
        self.container = args.setup.container(f"{name}-kuma", c, {"uptime": script}, self)
        self.url = f"https://{t.uptime.public_host}/"
        self.register_outputs({"url": self.url})


def build(ctx: ServiceContext) -> ServiceParts:
    monitor = UptimeMonitor(f"{ctx.name}-uptime", UptimeMonitorArgs(ctx.tenant, ctx.needs_setup()), opts=ctx.opts)
    return ServiceParts(monitor, containers={ctx.tenant.guest_at("uptime.container").name: monitor.container})
