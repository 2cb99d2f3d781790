"""An uptime monitor (Uptime Kuma) in one container behind the tenant's proxy: the worked example of a service kind
(docs/architecture.md). Everything the platform needs to know about it is here; services/__init__.py lists it."""

from __future__ import annotations

from typing import Any

from model.guests import ContainerSpec, Guest
from services.kind import ServiceKind, ServiceRoute
from services.proxy.render import Route
from services.uptime.model import UptimeSpec
from services.uptime.render import PORT

ROLE = "uptime"


def _containers(tf: Any) -> list[Guest[ContainerSpec]]:
    u: UptimeSpec = tf.uptime
    spec = ContainerSpec(
        name=f"{tf.name}-uptime",
        slot=u.container.slot,
        role=ROLE,
        vnet=u.vnet,
        address=u.container.address,
        vm_id=u.container.vm_id,
        node=u.container.node,
        memory_mb=512,
        disk_gb=8,
        nesting=True,  # Docker inside the container
    )
    return [Guest("uptime.container", spec, {"name": "uptime.container", "vnet": "uptime.vnet"})]


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    u: UptimeSpec = t.uptime
    allow = tuple(str(n) for n in u.allow_from)
    return [ServiceRoute(Route(u.public_host, str(u.container.address), PORT, allow_from=allow), "uptime.public_host")]


KIND = ServiceKind(
    key="uptime",
    model=UptimeSpec,
    description="An uptime monitor (Uptime Kuma) behind the proxy.",
    component="services.uptime.component",
    containers=_containers,
    inbound={ROLE: (("proxy", "tcp", PORT, "Uptime Kuma's web UI, published only through the reverse proxy"),)},
    routes=_routes,
    endpoints=lambda t: {"uptime": f"https://{t.uptime.public_host}/"},
)
