"""The service registry: every kind of service a tenant file may ask for, one folder each (services/<folder>/).

Everything platform-wide loops over `KINDS` instead of naming a service: the tenant file's fields
(model/tenant.py), the guests they expand to and their allocation (model/load.py), the firewall flows
(model/flows.py), the proxy's routes (`routes`), the stack outputs, and the build of each tenant's services
(components/tenant.py). Adding a kind is a folder and one line here (docs/architecture.md shows one).
"""

from __future__ import annotations

from typing import Any

from services import extras, humhub, logs, monitoring, proxy, uptime, wordpress, zabbix
from services.kind import ServiceKind, ServiceRoute

# The order is the order of the tenant file's fields, of the guests a tenant expands to, and of its proxy's routes.
KINDS: tuple[ServiceKind, ...] = (
    humhub.KIND,
    monitoring.KIND,
    wordpress.KIND,
    zabbix.KIND,
    logs.KIND,
    extras.KIND,
    uptime.KIND,
    proxy.KIND,
)
KEYS = frozenset(k.key for k in KINDS)


def present(t: Any) -> list[ServiceKind]:
    """The kinds a tenant (its file, or the resolved tenant) asks for, in registry order."""
    return [k for k in KINDS if getattr(t, k.key) is not None]


def routes(t: Any, domain: str) -> list[ServiceRoute]:
    """Every route the tenant's proxy serves: the router's own (the declared ones) first, then each service's."""
    kinds = sorted(present(t), key=lambda k: k.phase != 0)
    return [r for k in kinds for r in k.routes(t, domain)]


def kind_of(source: str) -> ServiceKind | None:
    """The kind a guest comes from, by the tenant-file field it was written in (`wordpress.web` -> WordPress);
    None for the tenant's own `vms[i]` and `containers[i]`."""
    head = source.split(".", 1)[0].split("[", 1)[0]
    return next((k for k in KINDS if k.key == head), None)
