"""The tenant reverse proxy's tenant-file model: engine, ACME account, declared routes."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from model.guests import Strict, VmId
from model.types import (
    Email,
    HostLabel,
    HostName,
    IPv4,
    IPv4Cidr,
    NodeName,
)


class ProxyEngine(StrEnum):
    """How a reverse proxy is run."""

    NPM = "npm"  # Nginx Proxy Manager in Docker Compose (setup A's rProxy)
    CADDY = "caddy"  # a Caddyfile with automatic HTTPS


class RouteSpec(Strict):
    """host name -> internal upstream, served with TLS from Let's Encrypt."""

    host: HostName = Field(description="Public host name (a DNS name; no underscores).")
    upstream: IPv4 = Field(description="Internal address of the upstream.")
    port: int = Field(default=80, ge=1, le=65535, description="Upstream port.")
    scheme: Literal["http", "https"] = Field(default="http", description="Scheme towards the upstream.")
    allow_from: list[IPv4Cidr] = Field(default_factory=list, description="Client allow-list; empty: all.")
    websocket: bool = Field(default=True, description="Pass websocket upgrades.")


class ProxySpec(Strict):
    """The tenant's reverse proxy VM (and the router of its VNets)."""

    engine: ProxyEngine = Field(strict=False, description="`npm` or `caddy`.")
    name: HostLabel = Field(description="VM host name, e.g. rproxy.")
    slot: int = Field(ge=1, le=99, description="The VM's stable slot in the tenant.")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id.")
    node: NodeName | None = Field(default=None, description="As vms[].node.")
    acme_email: Email = Field(description="Let's Encrypt account e-mail (NPM: also its admin login).")
    public: bool = Field(
        default=False,
        description="Own public NIC (setup A; address from proxcloud:publicAddresses). Otherwise an uplink to the "
        "provider edge, which DNATs the tenant's public address (if any) to it.",
    )
    routes: list[RouteSpec] = Field(default_factory=list, description="Routes besides the services' own.")
