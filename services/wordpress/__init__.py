"""WordPress (setup C): `wp-web` (Apache + PHP) and `wp-db` (MariaDB) containers behind the tenant's proxy."""

from __future__ import annotations

from typing import Any

from model.guests import ContainerSpec, Guest
from services.kind import ServiceKind, ServiceRoute
from services.proxy.render import Route
from services.wordpress.model import WordPressSpec


def _containers(tf: Any) -> list[Guest[ContainerSpec]]:
    w: WordPressSpec = tf.wordpress
    out = []
    for name, vnet, key, place in (
        ("wp-web", w.vnet, "vnet", w.web),
        ("wp-db", w.db_vnet or w.vnet, "db_vnet" if w.db_vnet else "vnet", w.db),
    ):
        field = f"wordpress.{name[3:]}"
        spec = ContainerSpec(
            name=f"{tf.name}-{name}",
            slot=place.slot,
            role=name,
            vnet=vnet,
            address=place.address,
            vm_id=place.vm_id,
            node=place.node,
            memory_mb=1024,
            disk_gb=16,
        )
        out.append(Guest(field, spec, {"name": field, "vnet": f"wordpress.{key}"}))
    return out


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    w: WordPressSpec = t.wordpress
    return [ServiceRoute(Route(w.public_host, str(w.web.address), 80), "wordpress.public_host")]


KIND = ServiceKind(
    key="wordpress",
    model=WordPressSpec,
    description="WordPress in two containers (setup C).",
    component="services.wordpress.component",
    containers=_containers,
    inbound={
        "wp-web": (("proxy", "tcp", 80, "WordPress is published only through the reverse proxy"),),
        "wp-db": (("wp-web", "tcp", 3306, "MariaDB for wp-web only"),),
    },
    routes=_routes,
    endpoints=lambda t: {"wordpress": f"https://{t.wordpress.public_host}/"},
)
