"""The uptime monitor's tenant-file model: one Uptime Kuma container, published through the tenant's proxy."""

from __future__ import annotations

from pydantic import Field

from model.guests import Placement, Strict
from model.types import HostName, IPv4Cidr, SdnId


class UptimeSpec(Strict):
    """An uptime monitor (Uptime Kuma in a container running Docker Compose) behind the tenant's proxy."""

    vnet: SdnId = Field(description="The VNet of the monitor's container.")
    public_host: HostName = Field(description="Public host name of its web UI, routed by the proxy.")
    container: Placement = Field(description="The Uptime Kuma container.")
    allow_from: list[IPv4Cidr] = Field(
        default_factory=list, description="Client networks allowed to the web UI through the proxy; empty: all."
    )
