"""The monitoring compose files pass the real Docker Compose v2 binary, publish only on internal addresses and
carry no secret."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from render.monitoring import (
    chronograf_compose,
    chronograf_env_file,
    grafana_compose,
    grafana_env_file,
    telegraf_compose,
)
from render.monitoring.compose import CHRONOGRAF_ENV_FILE, GRAFANA_ENV_FILE, TELEGRAF_ENV_FILE
from render.monitoring.params import CHRONOGRAF_IMAGE, GRAFANA_IMAGE, TELEGRAF_IMAGE, MonitoringParams
from render.monitoring.telegraf import telegraf_env_file
from tests.support.compose import compose_binary, compose_config
from tests.support.monitoring_fixtures import PASSWORD, PASSWORDS, TOKEN, params

CASES: dict[str, tuple[Callable[[MonitoringParams], str], dict[str, str]]] = {
    "telegraf": (telegraf_compose, {TELEGRAF_ENV_FILE: telegraf_env_file(TOKEN, PASSWORDS.telegraf)}),
    "grafana": (grafana_compose, {GRAFANA_ENV_FILE: grafana_env_file(PASSWORD, PASSWORDS.grafana)}),
    "chronograf": (chronograf_compose, {CHRONOGRAF_ENV_FILE: chronograf_env_file(PASSWORDS.chronograf)}),
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_compose_file_passes_docker_compose_config(service: str, tmp_path: Path) -> None:
    render, env_files = CASES[service]
    result = compose_config(render(params()), tmp_path / service, env_files)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("service", "old", "new"),
    [
        ("telegraf", "restart: unless-stopped", "restrat: unless-stopped"),
        ("grafana", "192.168.20.11:3000:3000", "192.168.20.11:3000:http"),
        ("chronograf", "services:", "servicez:"),
    ],
)
def test_compose_check_fails_on_a_broken_file(service: str, old: str, new: str, tmp_path: Path) -> None:
    render, env_files = CASES[service]
    text = render(params())
    assert old in text
    assert compose_config(text.replace(old, new), tmp_path / service, env_files).returncode != 0


def test_compose_check_fails_when_the_secret_env_file_is_missing(tmp_path: Path) -> None:
    assert compose_config(grafana_compose(params()), tmp_path / "grafana", {}).returncode != 0


def test_images_pinned_ports_internal_and_no_secret_inline() -> None:
    p = params()
    expected = {
        "telegraf": (TELEGRAF_IMAGE, []),
        "grafana": (GRAFANA_IMAGE, ["192.168.20.11:3000:3000"]),
        "chronograf": (CHRONOGRAF_IMAGE, ["192.168.20.12:8888:8888"]),
    }
    for service, (render, _) in CASES.items():
        text = render(p)
        assert PASSWORD not in text and TOKEN not in text
        assert not any(secret in text for secret in PASSWORDS.__dict__.values())
        svc = yaml.safe_load(text)["services"][service]
        image, ports = expected[service]
        assert svc["image"] == image and ":latest" not in image and image.rsplit(":", 1)[1][0].isdigit()
        assert svc.get("ports", []) == ports
        assert svc["restart"] == "unless-stopped"
    grafana = yaml.safe_load(grafana_compose(p))["services"]["grafana"]
    assert "./provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana["environment"]
    chronograf = yaml.safe_load(chronograf_compose(p))["services"]["chronograf"]
    assert chronograf["environment"]["INFLUXDB_URL"] == "http://192.168.20.10:8086"
    assert chronograf["environment"]["INFLUXDB_USERNAME"] == "chronograf"
    assert chronograf["env_file"] == ["./chronograf.env"]


def test_grafana_env_file_refuses_values_compose_would_misread() -> None:
    assert grafana_env_file(PASSWORD, PASSWORDS.grafana) == (
        f"GF_SECURITY_ADMIN_PASSWORD='{PASSWORD}'\nINFLUX_PASSWORD={PASSWORDS.grafana}\n"
    )
    for bad in ("", "it's", "two\nlines"):
        with pytest.raises(ValueError):
            grafana_env_file(bad, PASSWORDS.grafana)


def test_pve_ca_mounted_where_telegraf_conf_expects_it() -> None:
    with_ca = yaml.safe_load(telegraf_compose(params()))["services"]["telegraf"]["volumes"]
    assert "./pve-ca.pem:/etc/telegraf/pve-ca.pem:ro" in with_ca
    without = yaml.safe_load(telegraf_compose(params(pve_ca_pem="")))["services"]["telegraf"]["volumes"]
    assert without == ["./telegraf.conf:/etc/telegraf/telegraf.conf:ro"]


def container_environment(service: str, env_files: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment the real Compose binary would give the container (env files resolved)."""
    render, _ = CASES[service]
    project = tmp_path / service
    assert compose_config(render(params()), project, env_files).returncode == 0
    result = subprocess.run(
        [str(compose_binary()), "-f", str(project / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    env = json.loads(result.stdout)["services"][service]["environment"]
    return {k: v.replace("$$", "$") for k, v in env.items()}  # `config` prints a literal $ as $$


def test_secrets_reach_the_containers_unchanged(tmp_path: Path) -> None:
    tricky = "pa$$word with $HOME and \\n"
    for service, expected in (
        ("telegraf", {"PVE_API_TOKEN": TOKEN, "INFLUX_PASSWORD": PASSWORDS.telegraf}),
        ("grafana", {"GF_SECURITY_ADMIN_PASSWORD": tricky, "INFLUX_PASSWORD": PASSWORDS.grafana}),
        ("chronograf", {"INFLUXDB_PASSWORD": PASSWORDS.chronograf}),
    ):
        env_files = dict(CASES[service][1])
        if service == "grafana":
            env_files = {GRAFANA_ENV_FILE: grafana_env_file(tricky, PASSWORDS.grafana)}
        env = container_environment(service, env_files, tmp_path)
        assert {k: env.get(k) for k in expected} == expected, service


def test_environment_check_fails_when_a_value_is_not_quoted(tmp_path: Path) -> None:
    unquoted = {GRAFANA_ENV_FILE: f"GF_SECURITY_ADMIN_PASSWORD=pa$HOME\nINFLUX_PASSWORD={PASSWORDS.grafana}\n"}
    env = container_environment("grafana", unquoted, tmp_path)
    assert env["GF_SECURITY_ADMIN_PASSWORD"] != "pa$HOME"
