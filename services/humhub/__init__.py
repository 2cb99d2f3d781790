"""HumHub (setup A): a community site in prod and test behind the tenant's proxy, and the admin desktop VM."""

from __future__ import annotations

from typing import Any

from model.errors import Problem
from model.guests import Guest, VmSpec
from services.humhub.model import HumHubSpec
from services.kind import ServiceKind, ServiceRoute
from services.proxy.render import Route


def _vms(tf: Any) -> list[Guest[VmSpec]]:
    h: HumHubSpec = tf.humhub
    names = {i.name for i in h.instances}
    out = []
    for n, i in enumerate(h.instances):
        spec = VmSpec(
            name=i.name,
            slot=i.slot,
            role="humhub-test" if i.test else "humhub",
            vm_id=i.vm_id,
            node=i.node,
            cores=i.cores,
            memory_mb=i.memory_mb,
            disk_gb=i.disk_gb,
            vnet=h.vnet,
            address=i.address,
            protect=not i.test,
            keep_apart_from=sorted(names - {i.name}),
            description=f"HumHub {'test' if i.test else 'production'} site {i.public_host}",
        )
        out.append(Guest(f"humhub.instances[{n}]", spec, {"vnet": "humhub.vnet"}))
    if h.desktop is not None:
        d = h.desktop
        spec = VmSpec(
            name=d.name,
            slot=d.slot,
            role="desktop",
            vm_id=d.vm_id,
            node=d.node,
            vnet=h.vnet,
            address=d.address,
            memory_mb=4096,
            disk_gb=32,
            stateful=False,
            stateless_reason="admin workstation: no data is kept on it",
            description="admin desktop, reachable only through the Proxmox console",
        )
        out.append(Guest("humhub.desktop", spec, {"vnet": "humhub.vnet"}))
    return out


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    return [
        ServiceRoute(Route(i.public_host, str(i.address), 80), f"humhub.instances[{n}].public_host")
        for n, i in enumerate(t.humhub.instances)
    ]


def _problems(tf: Any, vnets: list[str], source: str) -> list[Problem]:
    if tf.humhub.vnet in vnets:
        return []
    return [
        Problem(
            source,
            "humhub.vnet",
            f"'{tf.humhub.vnet}' is not a VNet of this tenant",
            f"use one of {', '.join(vnets) or '(none: add vnets)'}",
        )
    ]


KIND = ServiceKind(
    key="humhub",
    model=HumHubSpec,
    description="A HumHub site in prod and test (setup A).",
    component="services.humhub.component",
    vms=_vms,
    inbound={
        "humhub": (("proxy", "tcp", 80, "HumHub is published only through the reverse proxy"),),
        "humhub-test": (("proxy", "tcp", 80, "the HumHub test site, published only through the reverse proxy"),),
    },
    routes=_routes,
    problems=_problems,
)
