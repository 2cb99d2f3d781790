"""MonitoringParams refuses input that would render broken files, naming the field; good input is accepted."""

from __future__ import annotations

import pytest

from render.monitoring import InfluxPasswords, influxdb_setup_commands
from tests.support.monitoring_fixtures import PASSWORDS, params


def test_defaults() -> None:
    p = params()
    assert p.db == "proxmox_tenant1" and p.influx_url == "http://192.168.20.10:8086"
    commands = influxdb_setup_commands(p, PASSWORDS)
    assert commands[1:3] == [
        'CREATE DATABASE "proxmox_tenant1" WITH DURATION 30d REPLICATION 1 NAME "proxcloud"',
        'ALTER RETENTION POLICY "proxcloud" ON "proxmox_tenant1" DURATION 30d REPLICATION 1 DEFAULT',
    ]
    grants = [c for c in commands if c.startswith("GRANT")]
    assert grants == [
        'GRANT WRITE ON "proxmox_tenant1" TO "telegraf"',
        'GRANT READ ON "proxmox_tenant1" TO "grafana"',
        'GRANT READ ON "proxmox_tenant1" TO "chronograf"',
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenant", "Tenant-1"),
        ("influx_address", "influx.local"),
        ("grafana_hostname", "grafana_tenant1.example.net"),
        ("chronograf_hostname", "chronograf"),
        ("pve_api_url", "http://10.0.0.11:8006"),
        ("pve_nodes", ()),
        ("database", 'x"; DROP DATABASE y'),
        ("retention", "30 days"),
        ("retention_policy", "rp-1"),
        ("pve_ca_pem", "/etc/pve/pve-root-ca.pem"),
        ("influx_port", 0),
    ],
)
def test_bad_input_names_the_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        params(**{field: value})


@pytest.mark.parametrize("bad", ["short", "has'quote-0123456789", "has space 0123456789", "back\\slash0123456789"])
def test_passwords_refuse_values_that_would_break_quoting_without_echoing_them(bad: str) -> None:
    with pytest.raises(ValueError, match=r"InfluxPasswords\.grafana") as err:
        InfluxPasswords(
            admin=PASSWORDS.admin, telegraf=PASSWORDS.telegraf, grafana=bad, chronograf=PASSWORDS.chronograf
        )
    assert bad not in str(err.value)
