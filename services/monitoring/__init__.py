"""Monitoring (setup D): Telegraf + InfluxDB, Grafana and Chronograf VMs, published through the tenant's proxy."""

from __future__ import annotations

from typing import Any

from model.guests import Guest, VmSpec
from model.types import Invalid
from services.kind import ServiceKind, ServiceRoute
from services.monitoring.model import MonitoringSpec
from services.proxy.render import Route


def monitoring_hosts(tenant: str, domain: str) -> tuple[str, str]:
    """Public names of Grafana and Chronograf (hyphens: an underscore is not valid in a host name)."""
    return f"grafana-{tenant}.{domain}", f"chronograf-{tenant}.{domain}"


def _vms(tf: Any) -> list[Guest[VmSpec]]:
    m: MonitoringSpec = tf.monitoring
    out = []
    for name, role, place in m.vms(tf.name):
        spec = VmSpec(
            name=name,
            slot=place.slot,
            role=role,
            vm_id=place.vm_id,
            node=place.node,
            vnet=m.vnet,
            address=place.address,
            memory_mb=4096 if role == "influxdb" else 2048,
            disk_gb=50 if role == "influxdb" else 20,
            stateful=role != "chronograf",
            stateless_reason="Chronograf keeps no data of its own" if role == "chronograf" else None,
            description=f"monitoring: {role} of tenant {tf.name}",
        )
        field = f"monitoring.{role}"
        out.append(Guest(field, spec, {"name": field, "vnet": "monitoring.vnet"}))
    return out


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    m: MonitoringSpec = t.monitoring
    grafana, chronograf = monitoring_hosts(t.name, domain)
    allow = tuple(str(n) for n in m.chronograf_allow_from)
    return [
        ServiceRoute(Route(grafana, str(m.grafana.address), 3000), "monitoring.grafana"),
        ServiceRoute(
            Route(chronograf, str(m.chronograf.address), 8888, allow_from=allow, own_login=False),
            "monitoring.chronograf",
        ),
    ]


def _check(tf: Any) -> None:
    if tf.proxy is None:
        raise Invalid("Grafana and Chronograf are published through the tenant's proxy", "add a proxy", ["monitoring"])


KIND = ServiceKind(
    key="monitoring",
    provider_managed=True,
    model=MonitoringSpec,
    description="Telegraf + InfluxDB + Grafana + Chronograf.",
    component="services.monitoring.component",
    vms=_vms,
    inbound={
        "influxdb": (
            ("grafana", "tcp", 8086, "Grafana reads metrics from InfluxDB"),
            ("chronograf", "tcp", 8086, "Chronograf reads metrics from InfluxDB"),
        ),
        "grafana": (("proxy", "tcp", 3000, "Grafana is published only through the reverse proxy"),),
        "chronograf": (("proxy", "tcp", 8888, "Chronograf is published only through the reverse proxy"),),
    },
    routes=_routes,
    check=_check,
)
