"""The tenant reverse proxy: routes public host names to the tenant's services, and routes the tenant's VNets."""

from __future__ import annotations

from typing import Any

from model.guests import Guest, VmSpec
from model.types import Invalid
from services.kind import ServiceKind, ServiceRoute
from services.proxy.model import ProxyEngine, ProxySpec
from services.proxy.render import Route


def _vms(tf: Any) -> list[Guest[VmSpec]]:
    p: ProxySpec = tf.proxy
    if not tf.vnets:
        return []
    spec = VmSpec(
        name=p.name,
        slot=p.slot,
        role="proxy",
        vm_id=p.vm_id,
        node=p.node,
        vnet=tf.vnets[0].id,
        address=tf.vnets[0].gateway or next(tf.vnets[0].cidr.hosts()),
        cores=2,
        memory_mb=2048,
        disk_gb=20,
        stateful=p.engine is ProxyEngine.NPM,
        stateless_reason=None
        if p.engine is ProxyEngine.NPM
        else "Caddy's config is rendered; certificates are re-issued",
        description=f"reverse proxy ({p.engine}) and router of tenant {tf.name}",
    )
    # The proxy holds the first VNet's gateway address: that is the field a clash points at.
    return [Guest("proxy", spec, {"vnet": "vnets[0].id", "address": "vnets[0].gateway"})]


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    """The routes the tenant declared itself (the services' own come from their kinds)."""
    return [
        ServiceRoute(
            Route(r.host, str(r.upstream), r.port, r.scheme, tuple(str(n) for n in r.allow_from), r.websocket),
            f"proxy.routes[{i}].host",
        )
        for i, r in enumerate(t.proxy.routes)
    ]


def _check(tf: Any) -> None:
    if not tf.vnets:
        raise Invalid(
            "a proxy needs at least one VNet (it is the router of the tenant's VNets)", "add a VNet", ["proxy"]
        )


KIND = ServiceKind(
    key="proxy",
    provider_managed=True,
    model=ProxySpec,
    description="The tenant's reverse proxy and router.",
    component="services.proxy.component",
    phase=0,
    vms=_vms,
    inbound={
        "proxy": (
            ("internet", "tcp", 80, "HTTP: Let's Encrypt HTTP-01 challenges and the redirect to HTTPS"),
            ("internet", "tcp", 443, "HTTPS: the tenant's published sites"),
        ),
    },
    routes=_routes,
    check=_check,
)
