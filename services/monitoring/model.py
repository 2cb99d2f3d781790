"""Monitoring's tenant-file model: InfluxDB + Telegraf, Grafana and Chronograf, each on a VM."""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from model.guests import Placement, Strict
from model.types import (
    IPv4Cidr,
    Pattern,
    SdnId,
)

InfluxDuration = Pattern(
    re.compile(r"[0-9]{1,6}[wdhm]|INF"), "InfluxQL duration", "use a duration such as 30d, 12w or INF", 7
)


class MonitoringSpec(Strict):
    """Setup D's monitoring: InfluxDB + Telegraf on one VM, Grafana and Chronograf each on their own VM."""

    vnet: SdnId = Field(description="The tenant VNet of the three VMs (the proxy routes to them).")
    influxdb: Placement = Field(description="The InfluxDB + Telegraf VM.")
    grafana: Placement = Field(description="The Grafana VM.")
    chronograf: Placement = Field(description="The Chronograf VM.")
    retention: InfluxDuration = Field(
        default="30d", description="InfluxDB retention (InfluxQL duration: 30d, 12w, INF)."
    )
    chronograf_allow_from: list[IPv4Cidr] = Field(
        default_factory=list,
        description="Client networks allowed to Chronograf through the proxy; required (it has no login of its own).",
    )

    @model_validator(mode="after")
    def _chronograf_not_open(self) -> MonitoringSpec:
        # Chronograf has no login: published without an allow-list, anyone who reaches its host name reads the
        # tenant's metrics and can query (and drop) its InfluxDB through it.
        if not self.chronograf_allow_from:
            raise ValueError(
                "chronograf_allow_from is empty: Chronograf has no login of its own and would be open to anyone "
                "(fix: list the client networks allowed to reach it through the proxy, e.g. [198.51.100.0/24])"
            )
        return self

    def vms(self, tenant: str) -> list[tuple[str, str, Placement]]:
        """(VM name, role, placement) of the three VMs."""
        return [
            (f"{tenant}-influxdb", "influxdb", self.influxdb),
            (f"{tenant}-grafana", "grafana", self.grafana),
            (f"{tenant}-chronograf", "chronograf", self.chronograf),
        ]
