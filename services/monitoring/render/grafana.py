"""Grafana as code for a tenant: the InfluxDB data source, the dashboard provider and two dashboards.

Every panel is an InfluxQL query over the names Telegraf's proxmox input emits (below). That input reports guests
(qemu VMs and lxc containers) of one PVE node, tagged with the node; it emits no host-level metrics. The "cluster"
dashboard therefore shows, per node, what the tenant's guests on that node use (sums and means over guests),
which is also all a least-privilege tenant token may see.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from services.monitoring.render.compose import GRAFANA_DASHBOARDS, GRAFANA_INFLUX_PASSWORD_ENV
from services.monitoring.render.params import INFLUX_GRAFANA, MonitoringParams

# Names from Telegraf's plugins/inputs/proxmox/README.md, section "Metrics" (measurement `proxmox`, its tags and
# fields), checked against plugins/inputs/proxmox/proxmox.go (gatherVMData): vm_id is a tag only with
# additional_vmstats_tags = ["vmid"], which services/monitoring/render/telegraf.py sets.
MEASUREMENT = "proxmox"
TAG_NODE = "node_fqdn"
TAG_VM_NAME = "vm_name"
TAG_VM_ID = "vm_id"
F_CPU = "cpuload"  # fraction of the guest's vCPUs in use (PVE `cpu`), 0..1
F_MEM_USED = "mem_used"
F_MEM_TOTAL = "mem_total"
F_MEM_PCT = "mem_used_percentage"
F_DISK_USED = "disk_used"
F_DISK_TOTAL = "disk_total"
F_DISK_READ = "disk_read_bytes"  # counters since guest start: shown as per-second rates
F_DISK_WRITE = "disk_write_bytes"
F_NET_IN = "net_in_bytes"
F_NET_OUT = "net_out_bytes"

SCHEMA_VERSION = 42  # @grafana/schema 13.2.3 defaultDashboard.schemaVersion
GRID_W = 12
GRID_H = 8


def datasource_uid(params: MonitoringParams) -> str:
    """Stable uid the dashboards reference (Grafana uids: at most 40 of [a-zA-Z0-9_-])."""
    return f"influx-{params.tenant}"[:40]


def grafana_datasource_doc(params: MonitoringParams) -> dict[str, Any]:
    """datasources/influxdb.yaml as data (grafana.com/docs/grafana/latest/administration/provisioning/#data-sources)."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": f"InfluxDB {params.tenant}",
                "uid": datasource_uid(params),
                "type": "influxdb",
                "access": "proxy",
                "orgId": 1,
                "url": params.influx_url,
                # A read-only InfluxDB user; its password comes from the container's environment (Grafana
                # interpolates $VAR / ${VAR} in provisioning files), so this file holds no secret.
                "user": INFLUX_GRAFANA,
                "secureJsonData": {"password": "${" + GRAFANA_INFLUX_PASSWORD_ENV + "}"},
                "isDefault": True,
                "editable": False,
                # `database` for older readers; jsonData.dbName is where current Grafana reads it.
                "database": params.db,
                "jsonData": {
                    "version": "InfluxQL",
                    "dbName": params.db,
                    "httpMode": "GET",
                    "timeInterval": params.interval,
                },
            }
        ],
    }


def grafana_datasource_yaml(params: MonitoringParams) -> str:
    """The text of provisioning/datasources/influxdb.yaml."""
    return yaml.safe_dump(grafana_datasource_doc(params), sort_keys=False)


def grafana_dashboard_provider_doc() -> dict[str, Any]:
    """dashboards/proxcloud.yaml as data (grafana.com/docs/grafana/latest/administration/provisioning/#dashboards)."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "proxcloud",
                "orgId": 1,
                "folder": "Proxmox",
                "type": "file",
                # Dashboards are code: edits in the UI would be lost at the next provisioning run, so refuse them.
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": GRAFANA_DASHBOARDS, "foldersFromFilesStructure": False},
            }
        ],
    }


def grafana_dashboard_provider_yaml() -> str:
    """The text of provisioning/dashboards/proxcloud.yaml."""
    return yaml.safe_dump(grafana_dashboard_provider_doc(), sort_keys=False)


def _q(field: str) -> str:
    return f'"{field}"'


def _per_node_sum(field: str, *, rate: bool) -> str:
    """Sum over the guests of each node: inner query per guest, outer sum per node (subqueries, InfluxDB >= 1.2)."""
    inner_value = f"non_negative_derivative(mean({_q(field)}), 1s)" if rate else f"mean({_q(field)})"
    inner = (
        f'SELECT {inner_value} AS "v" FROM {_q(MEASUREMENT)} WHERE $timeFilter '
        f"GROUP BY time($__interval), {_q(TAG_NODE)}, {_q(TAG_VM_ID)}"
    )
    return f'SELECT sum("v") FROM ({inner}) WHERE $timeFilter GROUP BY time($__interval), {_q(TAG_NODE)} fill(null)'


def _guest_filter() -> str:
    return f"{_q(TAG_NODE)} =~ /^$node$/ AND {_q(TAG_VM_NAME)} =~ /^$vm$/ AND $timeFilter"


def _per_guest(expr: str) -> str:
    return (
        f"SELECT {expr} FROM {_q(MEASUREMENT)} WHERE {_guest_filter()} "
        f"GROUP BY time($__interval), {_q(TAG_VM_NAME)}, {_q(TAG_VM_ID)} fill(null)"
    )


def _target(params: MonitoringParams, ref: str, query: str, alias: str) -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": {"type": "influxdb", "uid": datasource_uid(params)},
        "query": query,
        "rawQuery": True,
        "resultFormat": "time_series",
        "alias": alias,
    }


def _panel(
    params: MonitoringParams, pid: int, title: str, unit: str, targets: list[tuple[str, str]], alias: str
) -> dict[str, Any]:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "influxdb", "uid": datasource_uid(params)},
        "gridPos": {"h": GRID_H, "w": GRID_W, "x": ((pid - 1) % 2) * GRID_W, "y": ((pid - 1) // 2) * GRID_H},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {},
        "targets": [
            _target(params, chr(ord("A") + i), query, alias.replace("{name}", name))
            for i, (name, query) in enumerate(targets)
        ],
    }


def _dashboard(
    params: MonitoringParams, uid: str, title: str, panels: list[dict[str, Any]], variables: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uid": uid[:40],
        "title": title,
        "tags": ["proxcloud", "proxmox", params.tenant],
        "timezone": "browser",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "panels": panels,
    }


def dashboard_cluster(params: MonitoringParams) -> dict[str, Any]:
    """Per node: the tenant's guests' CPU, memory, disk and network (sums/means over the guests of each node)."""
    node_alias = f"{{name}} $tag_{TAG_NODE}"
    panels = [
        _panel(
            params,
            1,
            "Guest CPU load per node (mean over guests)",
            "percent",
            [
                (
                    "cpu",
                    f"SELECT mean({_q(F_CPU)}) * 100 FROM {_q(MEASUREMENT)} WHERE $timeFilter "
                    f"GROUP BY time($__interval), {_q(TAG_NODE)} fill(null)",
                )
            ],
            node_alias,
        ),
        _panel(
            params,
            2,
            "Guest memory per node",
            "bytes",
            [("used", _per_node_sum(F_MEM_USED, rate=False)), ("allocated", _per_node_sum(F_MEM_TOTAL, rate=False))],
            node_alias,
        ),
        _panel(
            params,
            3,
            "Guest disk per node",
            "bytes",
            [("used", _per_node_sum(F_DISK_USED, rate=False)), ("size", _per_node_sum(F_DISK_TOTAL, rate=False))],
            node_alias,
        ),
        _panel(
            params,
            4,
            "Guest disk I/O per node",
            "Bps",
            [("read", _per_node_sum(F_DISK_READ, rate=True)), ("write", _per_node_sum(F_DISK_WRITE, rate=True))],
            node_alias,
        ),
        _panel(
            params,
            5,
            "Guest network per node",
            "Bps",
            [("in", _per_node_sum(F_NET_IN, rate=True)), ("out", _per_node_sum(F_NET_OUT, rate=True))],
            node_alias,
        ),
    ]
    return _dashboard(params, f"pve-cluster-{params.tenant}", f"Proxmox cluster ({params.tenant})", panels, [])


def _variable(params: MonitoringParams, name: str, label: str, query: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "influxdb", "uid": datasource_uid(params)},
        "query": query,
        "refresh": 2,  # on time range change: guests come and go
        "multi": True,
        "includeAll": True,
        "sort": 1,
    }


def dashboard_guests(params: MonitoringParams) -> dict[str, Any]:
    """Per VM/container: CPU, memory, network and disk I/O, filtered by node and guest."""
    guest_alias = f"{{name}} $tag_{TAG_VM_NAME} ($tag_{TAG_VM_ID})"
    variables = [
        _variable(params, "node", "Node", f"SHOW TAG VALUES FROM {_q(MEASUREMENT)} WITH KEY = {_q(TAG_NODE)}"),
        _variable(
            params,
            "vm",
            "Guest",
            f"SHOW TAG VALUES FROM {_q(MEASUREMENT)} WITH KEY = {_q(TAG_VM_NAME)} WHERE {_q(TAG_NODE)} =~ /^$node$/",
        ),
    ]
    panels = [
        _panel(params, 1, "CPU load", "percent", [("cpu", _per_guest(f"mean({_q(F_CPU)}) * 100"))], guest_alias),
        _panel(
            params,
            2,
            "Memory",
            "bytes",
            [("used", _per_guest(f"mean({_q(F_MEM_USED)})")), ("total", _per_guest(f"mean({_q(F_MEM_TOTAL)})"))],
            guest_alias,
        ),
        _panel(
            params,
            3,
            "Network",
            "Bps",
            [
                ("in", _per_guest(f"non_negative_derivative(mean({_q(F_NET_IN)}), 1s)")),
                ("out", _per_guest(f"non_negative_derivative(mean({_q(F_NET_OUT)}), 1s)")),
            ],
            guest_alias,
        ),
        _panel(
            params,
            4,
            "Disk I/O",
            "Bps",
            [
                ("read", _per_guest(f"non_negative_derivative(mean({_q(F_DISK_READ)}), 1s)")),
                ("write", _per_guest(f"non_negative_derivative(mean({_q(F_DISK_WRITE)}), 1s)")),
            ],
            guest_alias,
        ),
        _panel(params, 5, "Memory used", "percent", [("mem", _per_guest(f"mean({_q(F_MEM_PCT)})"))], guest_alias),
    ]
    return _dashboard(params, f"pve-guests-{params.tenant}", f"Proxmox guests ({params.tenant})", panels, variables)


def dashboard_queries(dash: dict[str, Any]) -> list[str]:
    """Every InfluxQL query a dashboard runs: template variable queries first, then each panel target."""
    queries = [v["query"] for v in dash.get("templating", {}).get("list", []) if v.get("type") == "query"]
    for panel in dash.get("panels", []):
        queries += [t["query"] for t in panel.get("targets", [])]
    return queries


_IDENT = re.compile(r'"([a-z_]+)"')


def dashboard_identifiers(dash: dict[str, Any]) -> set[str]:
    """Every double-quoted identifier the dashboard's queries name (measurement, tags, fields, aliases)."""
    return {m for q in dashboard_queries(dash) for m in _IDENT.findall(q)}
