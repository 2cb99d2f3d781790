"""Docker Compose projects of the monitoring stack (Telegraf, Grafana, Chronograf) and their root-only env files.

Each project lives in one directory on its VM (params.TELEGRAF_DIR, ...): relative paths in the compose file
resolve there. Secrets are never in a compose file: they come from an env file (mode 0600, root) that the Compose
CLI reads as root and hands to the container.
"""

from __future__ import annotations

from typing import Any

import yaml

from services.monitoring.render.params import (
    CHRONOGRAF_IMAGE,
    GRAFANA_IMAGE,
    INFLUX_CHRONOGRAF,
    TELEGRAF_IMAGE,
    MonitoringParams,
)
from services.monitoring.render.telegraf import PVE_CA_FILE, PVE_CA_IN_CONTAINER

TELEGRAF_ENV_FILE = "telegraf.env"
GRAFANA_ENV_FILE = "grafana.env"
CHRONOGRAF_ENV_FILE = "chronograf.env"
# The variable Grafana's datasource provisioning file interpolates (services/monitoring/render/grafana.py).
GRAFANA_INFLUX_PASSWORD_ENV = "INFLUX_PASSWORD"
# Grafana's image reads provisioning from here (GF_PATHS_PROVISIONING default); dashboards go beside it.
GRAFANA_PROVISIONING = "/etc/grafana/provisioning"
GRAFANA_DASHBOARDS = "/etc/grafana/dashboards"

_LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


def _dump(doc: dict[str, Any]) -> str:
    return "# Managed by proxcloud (render/monitoring/compose.py).\n" + yaml.safe_dump(doc, sort_keys=False)


def telegraf_compose_doc(params: MonitoringParams) -> dict[str, Any]:
    """Telegraf reads the PVE API and writes to InfluxDB on the same VM; it publishes no port."""
    volumes = ["./telegraf.conf:/etc/telegraf/telegraf.conf:ro"]
    if params.pve_ca_pem:
        volumes.append(f"./{PVE_CA_FILE}:{PVE_CA_IN_CONTAINER}:ro")
    return {
        "name": f"telegraf-{params.tenant.replace('_', '-')}",
        "services": {
            "telegraf": {
                "image": TELEGRAF_IMAGE,
                "restart": "unless-stopped",
                # PVE_API_TOKEN and INFLUX_PASSWORD, substituted by Telegraf into telegraf.conf.
                "env_file": [f"./{TELEGRAF_ENV_FILE}"],
                "volumes": volumes,
                "logging": _LOGGING,
            }
        },
    }


def grafana_compose_doc(params: MonitoringParams) -> dict[str, Any]:
    """Grafana with provisioned data source and dashboards, published on the VM's internal address only."""
    return {
        "name": f"grafana-{params.tenant.replace('_', '-')}",
        "services": {
            "grafana": {
                "image": GRAFANA_IMAGE,
                "restart": "unless-stopped",
                "ports": [f"{params.grafana_address}:{params.grafana_port}:3000"],
                "environment": {
                    "GF_SERVER_DOMAIN": params.grafana_hostname,
                    "GF_SERVER_ROOT_URL": f"https://{params.grafana_hostname}/",
                    "GF_SECURITY_ADMIN_USER": "admin",
                    "GF_USERS_ALLOW_SIGN_UP": "false",
                    "GF_AUTH_ANONYMOUS_ENABLED": "false",
                    "GF_ANALYTICS_REPORTING_ENABLED": "false",
                    "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
                },
                # GF_SECURITY_ADMIN_PASSWORD and INFLUX_PASSWORD (for the data source), from a root-only file.
                "env_file": [f"./{GRAFANA_ENV_FILE}"],
                "volumes": [
                    "grafana-data:/var/lib/grafana",
                    f"./provisioning:{GRAFANA_PROVISIONING}:ro",
                    f"./dashboards:{GRAFANA_DASHBOARDS}:ro",
                ],
                "logging": _LOGGING,
            }
        },
        "volumes": {"grafana-data": {}},
    }


def chronograf_compose_doc(params: MonitoringParams) -> dict[str, Any]:
    """Chronograf pointed at the tenant's InfluxDB, published on the VM's internal address only."""
    return {
        "name": f"chronograf-{params.tenant.replace('_', '-')}",
        "services": {
            "chronograf": {
                "image": CHRONOGRAF_IMAGE,
                "restart": "unless-stopped",
                "ports": [f"{params.chronograf_address}:{params.chronograf_port}:8888"],
                # Chronograf configuration options (docs.influxdata.com/chronograf/v1/administration/config-options/)
                "environment": {
                    "INFLUXDB_URL": params.influx_url,
                    # A read-only InfluxDB user: Chronograf has no login of its own here.
                    "INFLUXDB_USERNAME": INFLUX_CHRONOGRAF,
                    "REPORTING_DISABLED": "true",
                    "BOLT_PATH": "/var/lib/chronograf/chronograf-v1.db",
                },
                # INFLUXDB_PASSWORD, from a root-only file.
                "env_file": [f"./{CHRONOGRAF_ENV_FILE}"],
                "volumes": ["chronograf-data:/var/lib/chronograf"],
                "logging": _LOGGING,
            }
        },
        "volumes": {"chronograf-data": {}},
    }


def telegraf_compose(params: MonitoringParams) -> str:
    """The text of TELEGRAF_DIR/compose.yaml."""
    return _dump(telegraf_compose_doc(params))


def grafana_compose(params: MonitoringParams) -> str:
    """The text of GRAFANA_DIR/compose.yaml."""
    return _dump(grafana_compose_doc(params))


def chronograf_compose(params: MonitoringParams) -> str:
    """The text of CHRONOGRAF_DIR/compose.yaml."""
    return _dump(chronograf_compose_doc(params))


def grafana_env_file(admin_password: str, influx_password: str) -> str:
    """The root-only env file: Grafana's first admin password and its InfluxDB password (InfluxPasswords.grafana);
    call it inside apply on the secrets. Grafana applies GF_SECURITY_ADMIN_PASSWORD only on its first start."""
    # Single quotes make Compose take the value literally (no ${...} interpolation); they cannot be escaped inside.
    if not admin_password or any(c in admin_password for c in "'\n\r"):
        raise ValueError("admin_password must be non-empty, without quotes (') or line breaks")
    return f"GF_SECURITY_ADMIN_PASSWORD='{admin_password}'\n{GRAFANA_INFLUX_PASSWORD_ENV}={influx_password}\n"


def chronograf_env_file(influx_password: str) -> str:
    """The root-only env file with Chronograf's InfluxDB password (InfluxPasswords.chronograf)."""
    return f"INFLUXDB_PASSWORD={influx_password}\n"
