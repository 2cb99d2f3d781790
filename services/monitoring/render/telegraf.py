"""telegraf.conf for a tenant: the PVE API (proxmox input) into the tenant's InfluxDB database.

Secrets never appear in telegraf.conf: it says `${PVE_API_TOKEN}` and `${INFLUX_PASSWORD}` (Telegraf substitutes
environment variables before parsing, docs/CONFIGURATION.md "Environment Variables") and the values live only in
a root-only env file that Docker Compose hands to the container. The conf is therefore plain, diffable data; only
the env file is secret.
"""

from __future__ import annotations

import re
from typing import Any

import tomli_w

from services.monitoring.render.params import INFLUX_TELEGRAF, MonitoringParams

TOKEN_ENV = "PVE_API_TOKEN"
INFLUX_PASSWORD_ENV = "INFLUX_PASSWORD"
# Where the compose file mounts TELEGRAF_DIR/pve-ca.pem inside the container.
PVE_CA_FILE = "pve-ca.pem"
PVE_CA_IN_CONTAINER = f"/etc/telegraf/{PVE_CA_FILE}"
# USER@REALM!TOKENID=SECRET, the form the proxmox input's sample.conf documents for api_token.
_TOKEN = re.compile(r"^[^\s@!=]+@[^\s@!=]+![A-Za-z][A-Za-z0-9._-]*=[0-9a-fA-F-]{36}$")


def telegraf_settings(params: MonitoringParams) -> dict[str, Any]:
    """telegraf.conf as data (the tests check every key against Telegraf's documented options)."""
    proxmox_inputs: list[dict[str, Any]] = []
    for node in params.pve_nodes:
        section: dict[str, Any] = {
            "base_url": params.pve_api_url,
            "api_token": "${" + TOKEN_ENV + "}",
            "node_name": node,
            # vm_id is a tag only when asked for (plugins/inputs/proxmox/proxmox.go); the guest dashboard groups by it.
            "additional_vmstats_tags": ["vmid"],
            "response_timeout": "5s",
            "insecure_skip_verify": params.pve_insecure_skip_verify,
        }
        if params.pve_ca_pem:
            section["tls_ca"] = PVE_CA_IN_CONTAINER
        proxmox_inputs.append(section)
    return {
        "agent": {
            "interval": params.interval,
            "round_interval": True,
            "metric_batch_size": 1000,
            "metric_buffer_limit": 10000,
            "collection_jitter": "0s",
            "flush_interval": params.interval,
            "flush_jitter": "0s",
            "precision": "0s",
            # The container's random hostname would otherwise become a `host` tag on every point.
            "omit_hostname": True,
        },
        "inputs": {"proxmox": proxmox_inputs},
        "outputs": {
            "influxdb": [
                {
                    "urls": [params.influx_url],
                    "database": params.db,
                    # The setup script creates the database with its retention policy; Telegraf must not.
                    "skip_database_creation": True,
                    "retention_policy": params.retention_policy,
                    "timeout": "5s",
                    # A user that may only write the tenant's database (services/monitoring/render/influxdb.py).
                    "username": INFLUX_TELEGRAF,
                    "password": "${" + INFLUX_PASSWORD_ENV + "}",
                }
            ]
        },
    }


def telegraf_conf(params: MonitoringParams) -> str:
    """The text of /opt/proxcloud/telegraf/telegraf.conf (no secret in it)."""
    return "# Managed by proxcloud (render/monitoring/telegraf.py); do not edit on the VM.\n" + tomli_w.dumps(
        telegraf_settings(params)
    )


def telegraf_env_file(api_token: str, influx_password: str) -> str:
    """The root-only env file: the PVE API token (`monitoring@pve!<tenant>=<uuid>`) and Telegraf's InfluxDB password
    (InfluxPasswords.telegraf, already checked there). Call it inside apply on the secrets."""
    if not _TOKEN.match(api_token):
        # Never echo the value: it is a secret.
        raise ValueError("api_token must look like USER@REALM!TOKENID=<uuid> (the PVE API token id and secret)")
    return f"{TOKEN_ENV}={api_token}\n{INFLUX_PASSWORD_ENV}={influx_password}\n"
