"""The extras (setup C), each off unless given: a Cloudflare tunnel connector, Vaultwarden, a Twingate connector."""

from __future__ import annotations

from typing import Any

from model.guests import ContainerSpec, Guest
from services.extras.model import ExtrasSpec
from services.kind import ServiceKind, ServiceRoute
from services.proxy.render import Route

NAMES = ("cloudflared", "vaultwarden", "twingate")


def _containers(tf: Any) -> list[Guest[ContainerSpec]]:
    e: ExtrasSpec = tf.extras
    out = []
    for key in NAMES:
        place = getattr(e, key)
        if place is None:
            continue
        spec = ContainerSpec(
            name=f"{tf.name}-{key}",
            slot=place.slot,
            role=key,
            vnet=e.vnet,
            address=place.address,
            vm_id=place.vm_id,
            node=place.node,
            memory_mb=512,
            disk_gb=8,
            nesting=True,
            stateful=key == "vaultwarden",
            stateless_reason=None if key == "vaultwarden" else "a connector: no data",
        )
        out.append(Guest(f"extras.{key}", spec, {"name": f"extras.{key}", "vnet": "extras.vnet"}))
    return out


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    e: ExtrasSpec = t.extras
    if e.vaultwarden is None or not e.vaultwarden_host:
        return []
    return [ServiceRoute(Route(e.vaultwarden_host, str(e.vaultwarden.address), 8080), "extras.vaultwarden_host")]


KIND = ServiceKind(
    key="extras",
    model=ExtrasSpec,
    description="Cloudflare tunnel, Vaultwarden, Twingate (setup C).",
    component="services.extras.component",
    containers=_containers,
    inbound={"vaultwarden": (("proxy", "tcp", 8080, "Vaultwarden, published only through the reverse proxy"),)},
    routes=_routes,
    endpoints=lambda t: {"vaultwarden": f"https://{t.extras.vaultwarden_host}/"} if t.extras.vaultwarden_host else {},
)
