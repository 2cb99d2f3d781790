"""The inputs of every monitoring renderer: one frozen MonitoringParams per tenant, plus the pinned images."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# Pinned images. Grafana matches the @grafana/schema version the dashboards are type-checked against
# (deps/npm-grafana/package.json); Telegraf is the release whose proxmox input README the dashboards follow.
TELEGRAF_IMAGE = "telegraf:1.39.3"
GRAFANA_IMAGE = "grafana/grafana:13.2.3"
CHRONOGRAF_IMAGE = "chronograf:1.11.0"

# Where the files of each service land on its VM (one directory per compose project).
TELEGRAF_DIR = "/opt/proxcloud/telegraf"
GRAFANA_DIR = "/opt/proxcloud/grafana"
CHRONOGRAF_DIR = "/opt/proxcloud/chronograf"
INFLUXDB_CONF_PATH = "/etc/influxdb/influxdb.conf"
INFLUXDB_SETUP_PATH = "/usr/local/sbin/proxcloud-influxdb-setup"

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DURATION = re.compile(r"^(\d+(w|d|h|m)|INF)$")
_PVE_NODE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")


def _hostname_ok(name: str) -> bool:
    """RFC 1123 host name: letters, digits and hyphens only (an underscore breaks DNS and Let's Encrypt)."""
    labels = name.split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_LABEL.match(label) for label in labels)


@dataclass(frozen=True)
class MonitoringParams:
    """What one tenant's monitoring stack needs; every address is an internal one of the tenant's network."""

    tenant: str
    """Tenant name (lower case, `[a-z][a-z0-9_]*`); names the database and the dashboards."""
    influx_address: str
    """Internal IPv4 of the InfluxDB + Telegraf VM; InfluxDB binds here, Grafana and Chronograf connect here."""
    grafana_address: str
    """Internal IPv4 of the Grafana VM; Grafana's port binds here for the reverse proxy."""
    chronograf_address: str
    """Internal IPv4 of the Chronograf VM; Chronograf's port binds here for the reverse proxy."""
    grafana_hostname: str
    """Public host name the reverse proxy routes to Grafana (Grafana's root_url)."""
    chronograf_hostname: str
    """Public host name the reverse proxy routes to Chronograf."""
    pve_api_url: str
    """Base URL of the PVE API as Telegraf wants it, e.g. `https://10.0.0.11:8006/api2/json`."""
    pve_nodes: tuple[str, ...]
    """PVE node names to read; Telegraf's proxmox input reads one node, so one input per node."""
    influx_port: int = 8086
    database: str = ""
    """InfluxDB database; empty means `proxmox_<tenant>`."""
    retention: str = "30d"
    """InfluxQL duration of the retention policy (`30d`, `12w`, `INF`)."""
    retention_policy: str = "proxcloud"
    pve_ca_pem: str = ""
    """PEM of the CA that signed the PVE API certificate (PVE's /etc/pve/pve-root-ca.pem); empty = system CAs."""
    pve_insecure_skip_verify: bool = False
    """Only for lab clusters with self-signed certificates and no CA to pin."""
    interval: str = "10s"
    grafana_port: int = 3000
    chronograf_port: int = 8888

    def __post_init__(self) -> None:
        if not _NAME.match(self.tenant):
            raise ValueError(f"tenant {self.tenant!r}: use lower-case letters, digits and '_' (start with a letter)")
        for field_name in ("influx_address", "grafana_address", "chronograf_address"):
            value = getattr(self, field_name)
            try:
                ipaddress.IPv4Address(value)
            except ValueError as exc:
                raise ValueError(f"{field_name} {value!r} is not an IPv4 address") from exc
        for field_name in ("grafana_hostname", "chronograf_hostname"):
            value = getattr(self, field_name)
            if not _hostname_ok(value):
                raise ValueError(
                    f"{field_name} {value!r} is not a valid host name (letters, digits, '-' and dots only;"
                    " write grafana-<tenant>.<domain>, not grafana_<tenant>)"
                )
        if not self.pve_api_url.startswith("https://") or not self.pve_api_url.endswith("/api2/json"):
            raise ValueError(f"pve_api_url {self.pve_api_url!r}: expected https://HOST:8006/api2/json")
        if not self.pve_nodes or not all(_PVE_NODE.match(n) for n in self.pve_nodes):
            raise ValueError(f"pve_nodes {self.pve_nodes!r}: give at least one PVE node name")
        if self.database and not _NAME.match(self.database):
            raise ValueError(f"database {self.database!r}: use lower-case letters, digits and '_'")
        if not _NAME.match(self.retention_policy):
            raise ValueError(f"retention_policy {self.retention_policy!r}: use lower-case letters, digits and '_'")
        if not _DURATION.match(self.retention):
            raise ValueError(f"retention {self.retention!r}: an InfluxQL duration such as 30d, 12w or INF")
        if self.pve_ca_pem and not self.pve_ca_pem.lstrip().startswith("-----BEGIN CERTIFICATE-----"):
            raise ValueError("pve_ca_pem: expected a PEM certificate (-----BEGIN CERTIFICATE-----)")
        for field_name in ("influx_port", "grafana_port", "chronograf_port"):
            if not 1 <= getattr(self, field_name) <= 65535:
                raise ValueError(f"{field_name} {getattr(self, field_name)} is not a TCP port")

    @property
    def db(self) -> str:
        """The database name actually used."""
        return self.database or f"proxmox_{self.tenant}"

    @property
    def influx_url(self) -> str:
        """InfluxDB's HTTP API as the other VMs reach it."""
        return f"http://{self.influx_address}:{self.influx_port}"


# Users InfluxDB knows: the admin (only the setup script on the InfluxDB VM uses it) and one per client.
INFLUX_ADMIN = "admin"
INFLUX_TELEGRAF = "telegraf"
INFLUX_GRAFANA = "grafana"
INFLUX_CHRONOGRAF = "chronograf"
# Letters, digits, '-' and '_': safe unquoted in env files and inside InfluxQL '...' and sh '...' strings.
_PASSWORD = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


@dataclass(frozen=True)
class InfluxPasswords:
    """InfluxDB passwords (secrets: build this inside Output.apply). Telegraf may write, Grafana and Chronograf may
    only read the tenant's database, so a Chronograf without login cannot drop or rewrite anything."""

    admin: str
    telegraf: str
    grafana: str
    chronograf: str

    def __post_init__(self) -> None:
        for name in ("admin", "telegraf", "grafana", "chronograf"):
            if not _PASSWORD.match(getattr(self, name)):
                # Never echo the value: it is a secret.
                raise ValueError(f"InfluxPasswords.{name}: 16-128 characters of A-Z a-z 0-9 '-' '_'")
