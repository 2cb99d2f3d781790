"""Zabbix's tenant-file model: the server VM (agents go on every guest)."""

from __future__ import annotations

from pydantic import Field

from model.guests import Placement, ServerVm


class ZabbixSpec(ServerVm):
    """Setup C's Zabbix: server + frontend (Compose on a VM); an agent 2 on every guest of the tenant."""

    server: Placement = Field(description="The Zabbix server VM.")
