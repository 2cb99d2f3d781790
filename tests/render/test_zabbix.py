"""Zabbix renderers: the agent config passes Debian's zabbix_agent2 itself, the server compose passes the real
Compose binary, the VM fragment passes `cloud-init schema`, and the flows are exactly the two Zabbix needs."""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from render.cloudinit import CloudConfig, render_user_data
from render.zabbix import (
    AGENT_CONF_PATH,
    AGENT_PORT,
    POSTGRES_IMAGE,
    SERVER_PORT,
    ZABBIX_DB_ENV_FILE,
    ZABBIX_SERVER_IMAGE,
    ZABBIX_WEB_IMAGE,
    Flow,
    ZabbixError,
    zabbix_agent2_conf,
    zabbix_agent_cloud_fragment,
    zabbix_compose,
    zabbix_db_env_file,
    zabbix_flows,
)
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema
from tests.support.compose import compose_binary, compose_config
from tests.support.keys import KEY

DB_PW = "zbx-db-Pa$$word-123"


def agent2_check(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Debian 12's zabbix_agent2 (6.0) has no -T (added in 6.4): `-t agent.ping` parses and validates the whole
    file first (unknown keys, value ranges) and exits 1 on any error, needing no running agent or network."""
    exe = shutil.which("zabbix_agent2")
    assert exe, "zabbix-agent2 is not installed: run `make test`, which installs deps/apt-*.txt"
    path = tmp_path / "zabbix_agent2.conf"
    # The rendered file includes the package's plugin configs by absolute path; they exist where the package is.
    path.write_text(text)
    return subprocess.run([exe, "-c", str(path), "-t", "agent.ping"], capture_output=True, text=True, check=False)


def test_agent_config_passes_zabbix_agent2(tmp_path: Path) -> None:
    result = agent2_check(zabbix_agent2_conf("192.168.70.10", "wp-web", "192.168.50.11"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "agent.ping" in result.stdout and "[s|1]" in result.stdout


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("ListenPort=10050", "ListenPort=99999", "value out of range"),
        ("DenyKey=system.run[*]", "DenyKeys=system.run[*]", "unknown parameter"),
        ("LogFileSize=0", "LogFileSize=2048", "value out of range"),
    ],
)
def test_agent2_check_fails_on_a_bad_key(tmp_path: Path, old: str, new: str, error: str) -> None:
    text = zabbix_agent2_conf("192.168.70.10", "wp-web", "192.168.50.11")
    assert old in text
    result = agent2_check(text.replace(old, new), tmp_path)
    assert result.returncode != 0 and error in result.stderr, result.stderr


def test_agent_config_contents() -> None:
    lines = zabbix_agent2_conf("192.168.70.10", "wp-web", "192.168.50.11").splitlines()
    assert "Server=192.168.70.10" in lines and "ServerActive=192.168.70.10:10051" in lines
    assert "ListenIP=192.168.50.11" in lines and "ListenPort=10050" in lines and "Hostname=wp-web" in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("zabbix.example", "h", "10.0.0.2"), "server_address"),
        (("10.0.0.1", "h", "0.0.0.0"), "listen_address"),
        (("10.0.0.1", "bad\nHostname=x", "10.0.0.2"), "hostname"),
    ],
)
def test_agent_config_rejects_bad_input(args: tuple[str, str, str], message: str) -> None:
    with pytest.raises(ZabbixError, match=message):
        zabbix_agent2_conf(*args)


def test_cloud_fragment_merges_into_valid_user_data(tmp_path: Path) -> None:
    base = CloudConfig(hostname="graylog", ssh_keys=(KEY,), packages=("rsyslog",), runcmd=(("echo", "first"),))
    cfg = zabbix_agent_cloud_fragment("192.168.70.10", "graylog", "192.168.70.20").merge(base)
    text = render_user_data(cfg)
    assert_valid_cloud_config(text, tmp_path)
    doc = yaml.safe_load(text)
    assert {"rsyslog", "zabbix-agent2"} <= set(doc["packages"])
    cmds = doc["runcmd"]
    assert cmds.index(["echo", "first"]) < cmds.index(
        ["install", "-m", "0644", "/etc/proxcloud/zabbix/zabbix_agent2.conf", AGENT_CONF_PATH]
    )
    assert ["systemctl", "enable", "zabbix-agent2"] in cmds
    # twin: the same validator rejects a fragment cloud-init cannot run
    assert cloud_init_schema(text.replace("runcmd:\n", "runcmd: 5\nx:\n", 1), tmp_path, "bad.yaml").returncode != 0


def test_compose_passes_the_real_compose_binary(tmp_path: Path) -> None:
    text = zabbix_compose("192.168.70.10")
    result = compose_config(text, tmp_path / "zabbix", {ZABBIX_DB_ENV_FILE: zabbix_db_env_file(DB_PW)})
    assert result.returncode == 0, result.stderr
    assert DB_PW not in text
    # twins: without its env file, and with a broken port mapping, the same binary refuses it
    assert compose_config(text, tmp_path / "noenv", {}).returncode != 0
    broken = text.replace("192.168.70.10:8080:8080", "192.168.70.10:8080:http")
    assert compose_config(broken, tmp_path / "broken", {ZABBIX_DB_ENV_FILE: "x=1\n"}).returncode != 0


def effective(text: str, project: Path, env_files: dict[str, str]) -> dict[str, object]:
    """The project as the Compose binary resolves it (`config --format json`)."""
    assert compose_config(text, project, env_files).returncode == 0
    out = subprocess.run(
        [str(compose_binary()), "-f", str(project / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_compose_publishes_only_the_trapper_and_frontend_on_the_internal_address(tmp_path: Path) -> None:
    doc = effective(zabbix_compose("192.168.70.10"), tmp_path, {ZABBIX_DB_ENV_FILE: zabbix_db_env_file(DB_PW)})
    published = {
        (name, p["host_ip"], p["published"], p["target"])
        for name, svc in doc["services"].items()  # type: ignore[attr-defined]
        for p in svc.get("ports", [])
    }
    assert published == {
        ("zabbix-server", "192.168.70.10", str(SERVER_PORT), SERVER_PORT),
        ("zabbix-web", "192.168.70.10", "8080", 8080),
    }
    services = doc["services"]  # type: ignore[index]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == DB_PW.replace("$", "$$")
    for image in (ZABBIX_SERVER_IMAGE, ZABBIX_WEB_IMAGE, POSTGRES_IMAGE):
        tag = image.rsplit(":", 1)[1]
        assert "latest" not in tag and any(c.isdigit() for c in tag), image


def test_db_env_file_refuses_values_compose_would_misread() -> None:
    for bad in ("short", "it's-a-long-password", "two\nlines-long-enough"):
        with pytest.raises(ZabbixError):
            zabbix_db_env_file(bad)


def flows_ok(server: str, agents: list[str], flows: list[Flow]) -> bool:
    """The firewall intent: per agent exactly server->agent:10050 and agent->server:10051 over TCP, nothing else."""
    want = set()
    for a in set(agents) - {server}:
        want |= {(server, a, "tcp", AGENT_PORT), (a, server, "tcp", SERVER_PORT)}
    got = [(s, d, p, port) for s, d, p, port, why in flows if why]
    return len(got) == len(set(got)) and set(got) == want


addresses = st.integers(min_value=1, max_value=2**24 - 2).map(lambda n: str(ipaddress.IPv4Address((10 << 24) + n)))


@given(server=addresses, agents=st.lists(addresses, max_size=20))
def test_flows_are_exactly_what_zabbix_needs(server: str, agents: list[str]) -> None:
    flows = zabbix_flows(server, agents)
    assert flows_ok(server, agents, flows)
    assert flows == sorted(flows)
    if agents and set(agents) != {server}:  # twins: one flow too many, one missing, a wrong port
        extra = (*flows[0][:3], 22, "ssh")
        assert not flows_ok(server, agents, [*flows, extra])  # type: ignore[list-item]
        assert not flows_ok(server, agents, flows[1:])
        wrong = (*flows[0][:3], 10052, flows[0][4])
        assert not flows_ok(server, agents, [wrong, *flows[1:]])  # type: ignore[list-item]


def test_flows_example() -> None:
    assert zabbix_flows("10.0.0.10", ["10.0.0.11", "10.0.0.10", "10.0.0.11"]) == [
        ("10.0.0.10", "10.0.0.11", "tcp", 10050, "Zabbix passive checks: server polls the agent"),
        ("10.0.0.11", "10.0.0.10", "tcp", 10051, "Zabbix active checks: agent sends to the server's trapper"),
    ]
