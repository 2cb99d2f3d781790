"""InfluxDB 1.x (Debian's `influxdb` package) on the tenant's monitoring VM: its config and its setup script.

InfluxDB listens on the VM's internal address only; who may connect (Telegraf on the same VM, Grafana, Chronograf)
is the SDN VNet firewall's job. Authentication is on as a second line: Telegraf may only write, Grafana and
Chronograf may only read the tenant's database. The setup script converges: it creates the admin user on first
start (InfluxDB allows exactly that without credentials), creates the database with its retention policy the
first time and alters the policy on later runs (InfluxDB refuses a second CREATE DATABASE ... WITH whose policy
differs: "retention policy conflicts with an existing policy"), and creates or re-passwords the client users.
"""

from __future__ import annotations

import shlex
from typing import Any

import tomli_w

from services.monitoring.render.params import (
    INFLUX_ADMIN,
    INFLUX_CHRONOGRAF,
    INFLUX_GRAFANA,
    INFLUX_TELEGRAF,
    InfluxPasswords,
    MonitoringParams,
)


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
            "auth-enabled": True,
            "log-enabled": False,
            # /debug/pprof would otherwise answer on the internal address.
            "pprof-enabled": False,
        },
    }


def influxdb_conf(params: MonitoringParams, *, root: str = "/var/lib/influxdb", rpc_port: int = 8088) -> str:
    """The text of /etc/influxdb/influxdb.conf (no secret in it)."""
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


def influxdb_client_grants(passwords: InfluxPasswords) -> list[tuple[str, str, str]]:
    """(user, password, privilege on the tenant's database) for every client."""
    return [
        (INFLUX_TELEGRAF, passwords.telegraf, "WRITE"),
        (INFLUX_GRAFANA, passwords.grafana, "READ"),
        (INFLUX_CHRONOGRAF, passwords.chronograf, "READ"),
    ]


def _user_statements(params: MonitoringParams, passwords: InfluxPasswords) -> list[tuple[str, str, str, str]]:
    """(user, CREATE USER, SET PASSWORD, GRANT) per client; passwords hold no quote (InfluxPasswords checks)."""
    return [
        (
            user,
            f"CREATE USER \"{user}\" WITH PASSWORD '{password}'",
            f"SET PASSWORD FOR \"{user}\" = '{password}'",
            f'GRANT {privilege} ON "{params.db}" TO "{user}"',
        )
        for user, password, privilege in influxdb_client_grants(passwords)
    ]


def influxdb_admin_statement(passwords: InfluxPasswords) -> str:
    """The one statement InfluxDB accepts without credentials while no admin exists."""
    return f"CREATE USER \"{INFLUX_ADMIN}\" WITH PASSWORD '{passwords.admin}' WITH ALL PRIVILEGES"


def influxdb_setup_commands(params: MonitoringParams, passwords: InfluxPasswords) -> list[str]:
    """Every InfluxQL statement the setup script may run, in order (contains passwords: secret)."""
    statements = [
        influxdb_admin_statement(passwords),
        influxdb_create_statement(params),
        influxdb_alter_statement(params),
    ]
    for _, create, set_password, grant in _user_statements(params, passwords):
        statements += [create, set_password, grant]
    return statements


def influxdb_setup_script(params: MonitoringParams, passwords: InfluxPasswords, *, wait_seconds: int = 60) -> str:
    """A POSIX sh script (root-only: it holds the passwords): wait for InfluxDB, then converge admin, database,
    retention policy and client users. The admin's credentials reach `influx` through its environment."""
    influx = f"influx -host {params.influx_address} -port {params.influx_port}"
    q = shlex.quote
    ready = f"{influx} -execute 'SHOW DATABASES' >/dev/null 2>&1"
    first_start = f"{influx} -execute {q(influxdb_admin_statement(passwords))} >/dev/null 2>&1"
    lines = [
        "#!/bin/sh",
        "# Managed by proxcloud (render/monitoring/influxdb.py): converge the tenant's InfluxDB.",
        "set -eu",
        f"export INFLUX_USERNAME={INFLUX_ADMIN} INFLUX_PASSWORD={q(passwords.admin)}",
        "i=0",
        "# Ready = the admin can log in, or (first start, no admin yet) the admin could be created.",
        f"until {ready} || {first_start}; do",
        "  i=$((i + 1))",
        f'  if [ "$i" -ge {wait_seconds} ]; then echo "influxdb did not answer, or refused the admin" >&2; exit 1; fi',
        "  sleep 1",
        "done",
        f"if {influx} -format csv -execute 'SHOW DATABASES' | grep -qx {q('databases,' + params.db)}; then",
        f"  {influx} -execute {q(influxdb_alter_statement(params))}",
        "else",
        f"  {influx} -execute {q(influxdb_create_statement(params))}",
        "fi",
        f"users=$({influx} -format csv -execute 'SHOW USERS')",
    ]
    for user, create, set_password, grant in _user_statements(params, passwords):
        lines += [
            f'if printf "%s\\n" "$users" | grep -q {q("^" + user + ",")}; then',
            f"  {influx} -execute {q(set_password)}",
            "else",
            f"  {influx} -execute {q(create)}",
            "fi",
            f"{influx} -execute {q(grant)}",
        ]
    return "\n".join([*lines, ""])
