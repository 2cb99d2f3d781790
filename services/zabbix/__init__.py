"""Zabbix (setup C): the server + frontend VM, and an agent 2 on every other guest of the tenant."""

from __future__ import annotations

from typing import Any

from model.guests import Guest, VmSpec
from services.kind import ServiceKind, ServiceRoute
from services.proxy.render import Route
from services.zabbix.model import ZabbixSpec
from services.zabbix.render import AGENT_PORT, SERVER_PORT

ROLE = "zabbix"


def _vms(tf: Any) -> list[Guest[VmSpec]]:
    z: ZabbixSpec = tf.zabbix
    spec = VmSpec(
        name=f"{tf.name}-zabbix",
        slot=z.server.slot,
        role=ROLE,
        vm_id=z.server.vm_id,
        node=z.server.node,
        vnet=z.vnet,
        address=z.server.address,
        memory_mb=4096,
        disk_gb=40,
        description=f"Zabbix server and frontend of tenant {tf.name}",
    )
    return [Guest("zabbix.server", spec, {"name": "zabbix.server", "vnet": "zabbix.vnet"})]


def _flows(t: Any) -> list[Any]:
    """The server polls every agent; every agent sends active checks to the server."""
    from model.flows import Flow

    server = next(g for g in t.guests if g.role == ROLE)
    flows = []
    for g in t.guests:
        if g is not server:
            flows.append(Flow(t.name, server.name, g.name, "tcp", AGENT_PORT, "Zabbix server polls its agent"))
            flows.append(Flow(t.name, g.name, server.name, "tcp", SERVER_PORT, "Zabbix agent active checks"))
    return flows


def _routes(t: Any, domain: str) -> list[ServiceRoute]:
    z: ZabbixSpec = t.zabbix
    return [ServiceRoute(Route(z.public_host, str(z.server.address), 8080), "zabbix.public_host")]


KIND = ServiceKind(
    key="zabbix",
    model=ZabbixSpec,
    description="Zabbix server and agents on every guest (setup C).",
    component="services.zabbix.component",
    phase=2,
    vms=_vms,
    inbound={ROLE: (("proxy", "tcp", 8080, "the Zabbix frontend, published only through the reverse proxy"),)},
    flows=_flows,
    routes=_routes,
    endpoints=lambda t: {"zabbix": f"https://{t.zabbix.public_host}/"},
)
