"""MonitoringParams refuses input that would render broken files, naming the field; good input is accepted."""

from __future__ import annotations

import pytest

from render.monitoring import influxdb_setup_commands
from tests.render.monitoring_fixtures import params


def test_defaults() -> None:
    p = params()
    assert p.db == "proxmox_tenant1" and p.influx_url == "http://192.168.20.10:8086"
    assert influxdb_setup_commands(p) == [
        'CREATE DATABASE "proxmox_tenant1" WITH DURATION 30d REPLICATION 1 NAME "proxcloud"',
        'ALTER RETENTION POLICY "proxcloud" ON "proxmox_tenant1" DURATION 30d REPLICATION 1 DEFAULT',
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
