"""Central logs' tenant-file model: the Graylog VM (rsyslog forwards from every guest)."""

from __future__ import annotations

from pydantic import Field

from model.guests import Placement, ServerVm


class LoggingSpec(ServerVm):
    """Setup C's central logs: Graylog (with OpenSearch and MongoDB, Compose on a VM); rsyslog on every guest."""

    graylog: Placement = Field(description="The Graylog VM.")
