"""InfluxDB 1.x (Debian's `influxdb` package) on the tenant's monitoring VM: its config and its setup script.

InfluxDB listens on the VM's internal address only; who may connect (Telegraf on the same VM, Grafana, Chronograf)
is the SDN VNet firewall's job. The setup script converges: it creates the database with its retention policy
the first time and alters the policy on later runs (InfluxDB refuses a second CREATE DATABASE ... WITH whose policy
differs: "retention policy conflicts with an existing policy").
"""

from __future__ import annotations

import shlex
from typing import Any

import tomli_w

from render.monitoring.params import MonitoringParams


def influxdb_settings(
    params: MonitoringParams, *, root: str = "/var/lib/influxdb", rpc_port: int = 8088
) -> dict[str, Any]:
    """influxdb.conf as data. `root` and `rpc_port` exist so tests can run the very same config in a temp dir."""
    return {
        # Debian's build renames upstream's `reporting-disabled` to `reporting-enabled` (see `influxd config`).
        "reporting-enabled": False,
        # The backup/restore RPC service stays on loopback: nothing off the VM needs it.
        "bind-address": f"127.0.0.1:{rpc_port}",
        # No `autogen` policy next to ours: every point goes to the policy with the tenant's retention.
        "meta": {"dir": f"{root}/meta", "retention-autocreate": False, "logging-enabled": True},
        "data": {"dir": f"{root}/data", "wal-dir": f"{root}/wal", "query-log-enabled": False},
        "http": {
            "enabled": True,
            "bind-address": f"{params.influx_address}:{params.influx_port}",
            "log-enabled": False,
            # /debug/pprof would otherwise answer on the internal address.
            "pprof-enabled": False,
        },
    }


def influxdb_conf(params: MonitoringParams, *, root: str = "/var/lib/influxdb", rpc_port: int = 8088) -> str:
    """The text of /etc/influxdb/influxdb.conf."""
    return "# Managed by proxcloud (render/monitoring/influxdb.py).\n" + tomli_w.dumps(
        influxdb_settings(params, root=root, rpc_port=rpc_port)
    )


def influxdb_create_statement(params: MonitoringParams) -> str:
    """First run: the database and its (default) retention policy in one statement."""
    return (
        f'CREATE DATABASE "{params.db}" WITH DURATION {params.retention} REPLICATION 1 NAME "{params.retention_policy}"'
    )


def influxdb_alter_statement(params: MonitoringParams) -> str:
    """Later runs: bring the policy to the declared retention."""
    return (
        f'ALTER RETENTION POLICY "{params.retention_policy}" ON "{params.db}" '
        f"DURATION {params.retention} REPLICATION 1 DEFAULT"
    )


def influxdb_setup_commands(params: MonitoringParams) -> list[str]:
    """The InfluxQL statements the setup script may run, in order (create on first run, alter afterwards)."""
    return [influxdb_create_statement(params), influxdb_alter_statement(params)]


def influxdb_setup_script(params: MonitoringParams, *, wait_seconds: int = 60) -> str:
    """A POSIX sh script: wait until InfluxDB answers, then create or converge the database and its policy."""
    influx = f"influx -host {params.influx_address} -port {params.influx_port}"
    exists = shlex.quote("databases," + params.db)
    return "\n".join(
        [
            "#!/bin/sh",
            "# Managed by proxcloud (render/monitoring/influxdb.py): create or converge the tenant's database.",
            "set -eu",
            "i=0",
            f"until {influx} -execute 'SHOW DATABASES' >/dev/null 2>&1; do",
            "  i=$((i + 1))",
            f'  if [ "$i" -ge {wait_seconds} ]; then echo "influxdb did not answer" >&2; exit 1; fi',
            "  sleep 1",
            "done",
            f"if {influx} -format csv -execute 'SHOW DATABASES' | grep -qx {exists}; then",
            f"  {influx} -execute {shlex.quote(influxdb_alter_statement(params))}",
            "else",
            f"  {influx} -execute {shlex.quote(influxdb_create_statement(params))}",
            "fi",
            "",
        ]
    )
