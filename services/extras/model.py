"""The extras' tenant-file model: cloudflared, Vaultwarden and Twingate containers."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from model.guests import Placement, Strict
from model.types import (
    HostName,
    Invalid,
    Pattern,
    SdnId,
)

TwingateNetwork = Pattern(
    re.compile(r"[a-z0-9][a-z0-9-]{0,62}"), "Twingate network", "use the name before .twingate.com, e.g. keepers", 63
)


class ExtrasSpec(Strict):
    """Optional services (setup C), each off unless given; each a container running Docker Compose."""

    vnet: SdnId = Field(description="The VNet of the extras.")
    cloudflared: Placement | None = Field(
        default=None, description="Cloudflare tunnel connector (secret cloudflaredToken)."
    )
    vaultwarden: Placement | None = Field(default=None, description="Vaultwarden behind the proxy (sign-ups off).")
    vaultwarden_host: HostName | None = Field(default=None, description="Public host name of Vaultwarden.")
    twingate: Placement | None = Field(default=None, description="Twingate connector (secret twingate tokens).")
    twingate_network: TwingateNetwork | None = Field(default=None, description="Twingate network name.")

    @model_validator(mode="after")
    def _pairs(self) -> ExtrasSpec:
        if self.vaultwarden is not None and not self.vaultwarden_host:
            raise Invalid("vaultwarden needs vaultwarden_host", "add its public host name", ["vaultwarden_host"])
        if self.twingate is not None and not self.twingate_network:
            raise Invalid("twingate needs twingate_network", "add the Twingate network name", ["twingate_network"])
        return self
