"""Central logs (setup C): Graylog on a VM, and rsyslog forwarding from every other guest of the tenant."""

from __future__ import annotations

from typing import Any

from model.guests import Guest, VmSpec
from services.kind import ServiceKind, ServiceRoute
from services.logs.model import LoggingSpec
from services.logs.render import SYSLOG_TCP_PORT
from services.proxy.render import Route

ROLE = "graylog"


def _vms(tf: Any) -> list[Guest[VmSpec]]:
    g = tf.logging.graylog
    spec = VmSpec(
        name=f"{tf.name}-graylog",
        slot=g.slot,
        role=ROLE,
        vm_id=g.vm_id,
        node=g.node,
        vnet=tf.logging.vnet,
        address=g.address,
        cores=2,
        memory_mb=6144,
        disk_gb=80,
        description=f"central logs (Graylog) of tenant {tf.name}",
    )
    return [Guest("logging.graylog", spec, {"name": "logging.graylog", "vnet": "logging.vnet"})]


def _flows(t: Any) -> list[Any]:
    """Every guest ships its logs to the central Graylog."""
    from model.flows import Flow

    graylog = next(g for g in t.guests if g.role == ROLE)
    return [
        Flow(t.name, g.name, graylog.name, "tcp", SYSLOG_TCP_PORT, "rsyslog forwards to Graylog")
        for g in t.guests
        if g is not graylog
    ]


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    lg: LoggingSpec = t.logging
    return [ServiceRoute(Route(lg.public_host, str(lg.graylog.address), 9000), "logging.public_host")]


KIND = ServiceKind(
    key="logging",
    model=LoggingSpec,
    description="Graylog and rsyslog on every guest (setup C).",
    component="services.logs.component",
    phase=2,
    vms=_vms,
    inbound={ROLE: (("proxy", "tcp", 9000, "Graylog's web UI, published only through the reverse proxy"),)},
    flows=_flows,
    routes=_routes,
    endpoints=lambda t: {"graylog": f"https://{t.logging.public_host}/"},
)
