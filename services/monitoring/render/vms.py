"""cloud-init of the three monitoring VMs: InfluxDB + Telegraf, Grafana, Chronograf.

Each is a CloudConfig for render.cloudinit: Docker from Docker's own repository, the rendered files written, then
the service started. Each carries secrets (PVE token, InfluxDB passwords, Grafana admin password) in root-only
files only, but the user data as a whole holds them: build it inside Output.apply on the secrets, keep it secret.
"""

from __future__ import annotations

import json

from render.cloudinit import DOCKER_PACKAGES, CloudConfig, WriteFile, docker_apt_source
from services.monitoring.render.compose import (
    CHRONOGRAF_ENV_FILE,
    GRAFANA_ENV_FILE,
    TELEGRAF_ENV_FILE,
    chronograf_compose,
    chronograf_env_file,
    grafana_compose,
    grafana_env_file,
    telegraf_compose,
)
from services.monitoring.render.grafana import (
    dashboard_cluster,
    dashboard_guests,
    grafana_dashboard_provider_yaml,
    grafana_datasource_yaml,
)
from services.monitoring.render.influxdb import influxdb_conf, influxdb_setup_script
from services.monitoring.render.params import (
    CHRONOGRAF_DIR,
    GRAFANA_DIR,
    INFLUXDB_CONF_PATH,
    INFLUXDB_SETUP_PATH,
    TELEGRAF_DIR,
    InfluxPasswords,
    MonitoringParams,
)
from services.monitoring.render.telegraf import PVE_CA_FILE, telegraf_conf, telegraf_env_file


def _compose_up(directory: str) -> tuple[str, ...]:
    return ("docker", "compose", "--project-directory", directory, "-f", f"{directory}/compose.yaml", "up", "-d")


def influx_vm_cloud_config(
    params: MonitoringParams,
    *,
    hostname: str,
    ssh_keys: tuple[str, ...],
    api_token: str,
    passwords: InfluxPasswords,
) -> CloudConfig:
    """InfluxDB 1.x from Debian, its database and retention policy, and Telegraf as a container beside it."""
    ca = (WriteFile(f"{TELEGRAF_DIR}/{PVE_CA_FILE}", params.pve_ca_pem),) if params.pve_ca_pem else ()
    return CloudConfig(
        hostname=hostname,
        ssh_keys=ssh_keys,
        packages=("influxdb", "influxdb-client", *DOCKER_PACKAGES),
        apt_sources=docker_apt_source(),
        write_files=(
            # Written before the package is installed; cloud-init's apt keeps it (dpkg --force-confold).
            WriteFile(INFLUXDB_CONF_PATH, influxdb_conf(params)),
            WriteFile(INFLUXDB_SETUP_PATH, influxdb_setup_script(params, passwords), permissions="0700"),
            WriteFile(f"{TELEGRAF_DIR}/compose.yaml", telegraf_compose(params)),
            WriteFile(f"{TELEGRAF_DIR}/telegraf.conf", telegraf_conf(params)),
            WriteFile(
                f"{TELEGRAF_DIR}/{TELEGRAF_ENV_FILE}",
                telegraf_env_file(api_token, passwords.telegraf),
                permissions="0600",
            ),
            *ca,
        ),
        runcmd=(
            ("systemctl", "enable", "influxdb"),
            ("systemctl", "restart", "influxdb"),
            (INFLUXDB_SETUP_PATH,),
            _compose_up(TELEGRAF_DIR),
        ),
    )


def grafana_vm_cloud_config(
    params: MonitoringParams,
    *,
    hostname: str,
    ssh_keys: tuple[str, ...],
    admin_password: str,
    influx_password: str,
) -> CloudConfig:
    """Grafana as a container, with its data source and dashboards provisioned from files."""
    return CloudConfig(
        hostname=hostname,
        ssh_keys=ssh_keys,
        packages=DOCKER_PACKAGES,
        apt_sources=docker_apt_source(),
        write_files=(
            WriteFile(f"{GRAFANA_DIR}/compose.yaml", grafana_compose(params)),
            WriteFile(
                f"{GRAFANA_DIR}/{GRAFANA_ENV_FILE}",
                grafana_env_file(admin_password, influx_password),
                permissions="0600",
            ),
            WriteFile(f"{GRAFANA_DIR}/provisioning/datasources/influxdb.yaml", grafana_datasource_yaml(params)),
            WriteFile(f"{GRAFANA_DIR}/provisioning/dashboards/proxcloud.yaml", grafana_dashboard_provider_yaml()),
            WriteFile(f"{GRAFANA_DIR}/dashboards/cluster.json", json.dumps(dashboard_cluster(params), indent=2) + "\n"),
            WriteFile(f"{GRAFANA_DIR}/dashboards/guests.json", json.dumps(dashboard_guests(params), indent=2) + "\n"),
        ),
        runcmd=(_compose_up(GRAFANA_DIR),),
    )


def chronograf_vm_cloud_config(
    params: MonitoringParams, *, hostname: str, ssh_keys: tuple[str, ...], influx_password: str
) -> CloudConfig:
    """Chronograf as a container, pointed at the tenant's InfluxDB."""
    return CloudConfig(
        hostname=hostname,
        ssh_keys=ssh_keys,
        packages=DOCKER_PACKAGES,
        apt_sources=docker_apt_source(),
        write_files=(
            WriteFile(f"{CHRONOGRAF_DIR}/compose.yaml", chronograf_compose(params)),
            WriteFile(
                f"{CHRONOGRAF_DIR}/{CHRONOGRAF_ENV_FILE}", chronograf_env_file(influx_password), permissions="0600"
            ),
        ),
        runcmd=(_compose_up(CHRONOGRAF_DIR),),
    )
