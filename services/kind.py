"""What a service kind is: the one record the platform-wide code loops over (services/__init__.py lists them).

A kind is a folder under services/ that holds its tenant-file model (`model.py`), its renderers, its component
(`component.py`, imported only when the stack builds it, so the model layer stays free of Pulumi) and one
`ServiceKind` in its `__init__.py` saying how the platform reaches it: the guests it expands to, the flows into
them, the proxy routes it publishes, the endpoints it exports and the checks it adds to loading.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from model.errors import Problem
    from model.flows import Flow
    from model.models import ContainerSpec, Guest, VmSpec
    from services.proxy.render import Route

# (source role, protocol, port, why): what a guest of a role accepts. The source is a role of the same tenant,
# or "internet".
Inbound = tuple[str, str, int, str]


@dataclass(frozen=True)
class ServiceRoute:
    """A route the tenant's proxy serves for a service, with the tenant-file field its host name comes from."""

    route: Route
    field: str


def _none(*_: Any) -> list[Any]:
    return []


def _no_endpoints(*_: Any) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class ServiceKind:
    """One kind of service a tenant file may ask for, under the key `key`.

    The callables take the tenant's file (`model.tenant.TenantFile`) or the resolved tenant
    (`model.platform.TenantSpec`); both give the service's settings as `getattr(t, key)` (None when absent).
    """

    key: str
    """The tenant-file field (`humhub:`), also the attribute of the resolved tenant."""
    model: type[BaseModel]
    """The pydantic model of that field (on the shared types of model/types.py)."""
    description: str
    """One line for the tenant file's JSON schema."""
    component: str
    """The module whose `build(ctx)` wires the service (services/<folder>/component.py), imported when built."""
    phase: int = 1
    """Build order inside a tenant: 0 the router (every other guest waits for it), 1 services, 2 services that
    reach every other guest of the tenant (their `on_every_guest` step runs once every guest exists)."""
    provider_managed: bool = False
    """Its VMs hold provider credentials, a provider network or a firewall the provider manages: they go to the
    tenant's managed pool (model/storage.py `managed_pool`), which no tenant principal holds a role on (issue 14
    findings 2 and 6), not to the tenant's own."""
    vms: Callable[[Any], Sequence[Guest[VmSpec]]] = _none
    """The VMs the service expands to, as plain VM specs, each with its tenant-file field."""
    containers: Callable[[Any], Sequence[Guest[ContainerSpec]]] = _none
    """The containers the service expands to."""
    inbound: Mapping[str, tuple[Inbound, ...]] = field(default_factory=dict)
    """Per role of its guests: who may reach it, on which port, and why (model/flows.py turns this into flows)."""
    flows: Callable[[Any], Sequence[Flow]] = _none
    """Flows beyond `inbound`: an agent on every guest of the tenant, logs shipped from every guest."""
    routes: Callable[[Any, str], Sequence[ServiceRoute]] = _none
    """(tenant, domain) -> the routes the tenant's proxy serves for it."""
    endpoints: Callable[[Any], dict[str, str]] = _no_endpoints
    """The public URLs the stack outputs list under the tenant's `services`."""
    check: Callable[[Any], None] = _none
    """Rules across the tenant file (raise model.types.Invalid): another part the service needs."""
    problems: Callable[[Any, list[str], str], Sequence[Problem]] = _none
    """(tenant file, its VNet ids, file shown as) -> problems only the whole tenant shows."""
