"""The three monitoring VMs' user data pass the real `cloud-init schema`; secrets land in root-only files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from render.cloudinit import CloudConfig, render_user_data
from render.monitoring import chronograf_vm_cloud_config, grafana_vm_cloud_config, influx_vm_cloud_config
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema
from tests.support.monitoring_fixtures import KEY, PASSWORD, PASSWORDS, TOKEN, params

BUILDERS: dict[str, Callable[[], CloudConfig]] = {
    "influx": lambda: influx_vm_cloud_config(
        params(), hostname="mon-influx", ssh_keys=(KEY,), api_token=TOKEN, passwords=PASSWORDS
    ),
    "grafana": lambda: grafana_vm_cloud_config(
        params(), hostname="mon-grafana", ssh_keys=(KEY,), admin_password=PASSWORD, influx_password=PASSWORDS.grafana
    ),
    "chronograf": lambda: chronograf_vm_cloud_config(
        params(), hostname="mon-chronograf", ssh_keys=(KEY,), influx_password=PASSWORDS.chronograf
    ),
}


@pytest.mark.parametrize("vm", sorted(BUILDERS))
def test_user_data_passes_cloud_init_schema(vm: str, tmp_path: Path) -> None:
    assert_valid_cloud_config(render_user_data(BUILDERS[vm]()), tmp_path, f"{vm}.yaml")


@pytest.mark.parametrize("vm", sorted(BUILDERS))
def test_schema_check_fails_on_broken_user_data(vm: str, tmp_path: Path) -> None:
    doc = yaml.safe_load(render_user_data(BUILDERS[vm]()))
    doc["write_files"][0]["permissions"] = 644  # an int, not the octal string cloud-init requires
    broken = "#cloud-config\n" + yaml.safe_dump(doc)
    assert cloud_init_schema(broken, tmp_path, f"{vm}.yaml").returncode != 0


@pytest.mark.parametrize("vm", sorted(BUILDERS))
def test_docker_from_docker_repo_and_compose_up(vm: str) -> None:
    doc = yaml.safe_load(render_user_data(BUILDERS[vm]()))
    assert "download.docker.com/linux/debian" in doc["apt"]["sources"]["docker.list"]["source"]
    assert {"docker-ce", "docker-compose-plugin"} <= set(doc["packages"])
    last = doc["runcmd"][-1]
    assert last[:2] == ["docker", "compose"] and last[-2:] == ["up", "-d"]


SECRETS = {
    "influx": (TOKEN, PASSWORDS.telegraf, PASSWORDS.admin, PASSWORDS.grafana, PASSWORDS.chronograf),
    "grafana": (PASSWORD, PASSWORDS.grafana),
    "chronograf": (PASSWORDS.chronograf,),
}


@pytest.mark.parametrize("vm", sorted(BUILDERS))
def test_secrets_only_in_root_only_files(vm: str) -> None:
    files = yaml.safe_load(render_user_data(BUILDERS[vm]()))["write_files"]
    for secret in SECRETS[vm]:
        holding = [f for f in files if secret in f["content"]]
        assert holding, (vm, "secret not written at all")
        for f in holding:
            assert f["permissions"] in ("0600", "0700") and f["owner"] == "root:root", f["path"]
    # Another VM's secrets never land here (the Grafana VM gets neither the admin nor the Telegraf password).
    others = {s for other, secrets in SECRETS.items() if other != vm for s in secrets} - set(SECRETS[vm])
    assert not any(s in f["content"] for s in others for f in files)


def test_influx_vm_installs_debian_influxdb_and_runs_setup_before_telegraf() -> None:
    doc = yaml.safe_load(render_user_data(BUILDERS["influx"]()))
    assert {"influxdb", "influxdb-client"} <= set(doc["packages"])
    cmds = [c if isinstance(c, str) else " ".join(c) for c in doc["runcmd"]]
    setup = cmds.index("/usr/local/sbin/proxcloud-influxdb-setup")
    assert cmds.index("systemctl restart influxdb") < setup < len(cmds) - 1


def test_pve_ca_written_beside_the_compose_file() -> None:
    files = {f["path"]: f for f in yaml.safe_load(render_user_data(BUILDERS["influx"]()))["write_files"]}
    assert files["/opt/proxcloud/telegraf/pve-ca.pem"]["content"].startswith("-----BEGIN CERTIFICATE-----")
