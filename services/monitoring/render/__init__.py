"""Renderers of the per-tenant monitoring stack (issue 5): InfluxDB + Telegraf, Grafana, Chronograf.

Pure functions from MonitoringParams to the files that land on the three VMs; no pulumi import here.
"""

from services.monitoring.render.compose import (
    chronograf_compose,
    chronograf_env_file,
    grafana_compose,
    grafana_env_file,
    telegraf_compose,
)
from services.monitoring.render.grafana import (
    dashboard_cluster,
    dashboard_guests,
    dashboard_queries,
    datasource_uid,
    grafana_dashboard_provider_yaml,
    grafana_datasource_yaml,
)
from services.monitoring.render.influxdb import influxdb_conf, influxdb_setup_commands, influxdb_setup_script
from services.monitoring.render.params import InfluxPasswords, MonitoringParams
from services.monitoring.render.telegraf import telegraf_conf, telegraf_env_file
from services.monitoring.render.vms import (
    chronograf_vm_cloud_config,
    grafana_vm_cloud_config,
    influx_vm_cloud_config,
)

__all__ = [
    "InfluxPasswords",
    "MonitoringParams",
    "chronograf_compose",
    "chronograf_env_file",
    "chronograf_vm_cloud_config",
    "dashboard_cluster",
    "dashboard_guests",
    "dashboard_queries",
    "datasource_uid",
    "grafana_compose",
    "grafana_dashboard_provider_yaml",
    "grafana_datasource_yaml",
    "grafana_env_file",
    "grafana_vm_cloud_config",
    "influx_vm_cloud_config",
    "influxdb_conf",
    "influxdb_setup_commands",
    "influxdb_setup_script",
    "telegraf_compose",
    "telegraf_conf",
    "telegraf_env_file",
]
