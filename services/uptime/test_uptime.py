"""The worked example's own tests (docs/architecture.md): the kind loads, expands to its container, opens its one
flow, publishes its route and plans through the real program; a bad host name is refused at its field (twin)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from model.flows import ROLE_INBOUND, all_flows
from model.load import proxy_hosts
from services.uptime.render import PORT, uptime_compose
from tests.support.bad_input import assert_refused, copy_inputs, load, plan

UPTIME = {
    "vnet": "keepops",
    "public_host": "status.keepers.example.org",
    "container": {"slot": 45, "address": "192.168.70.45"},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The shipped inputs, with an uptime monitor added to the keepers tenant (setup C)."""
    project = copy_inputs(tmp_path / "project")
    path = project / "tenants" / "keepers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + yaml.safe_dump({"uptime": UPTIME}), encoding="utf-8")
    return project


def test_the_kind_loads_expands_opens_its_flow_and_routes(project: Path) -> None:
    from model.files import config_value
    from model.load import load_platform
    from tools.mockengine import stack_config

    config = {k.split(":", 1)[1]: config_value(v) for k, v in stack_config("dev", project).items() if "proxcloud:" in k}
    platform = load_platform("proxcloud", "dev", config, project)
    keepers = next(t for t in platform.tenants if t.name == "keepers")
    guest = keepers.guest_at("uptime.container")
    assert (guest.name, guest.role, str(guest.address), guest.nesting) == (
        "keepers-uptime",
        "uptime",
        "192.168.70.45",
        True,
    )
    assert ROLE_INBOUND["uptime"][0][:3] == ("proxy", "tcp", PORT)
    flows = [(f.src, f.dst, f.port) for f in all_flows(platform) if f.dst == guest.name]
    assert ("keepers-proxy", "keepers-uptime", PORT) in flows
    assert ("status.keepers.example.org", "uptime.public_host") in proxy_hosts(keepers, platform.settings.domain)


@pytest.mark.slow
def test_it_plans_through_the_real_program(project: Path) -> None:
    outcome = plan(project)
    assert outcome.code == 0, outcome.stderr[-3000:]
    doc = json.loads((project / "build" / "plan-dev.json").read_text())
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["keepers-uptime"]["type"] == "proxcloud:index:UptimeMonitor"
    assert by_name["keepers-uptime-kuma"]["type"] == "proxcloud:index:LxcContainer"
    assert doc["outputs"]["tenants"]["keepers"]["services"]["uptime"] == "https://status.keepers.example.org/"


@pytest.mark.slow
def test_a_bad_host_name_is_refused_at_its_field(project: Path) -> None:
    assert load(project).code == 0  # twin: as written, it loads
    path = project / "tenants" / "keepers.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status.keepers", "status_keepers"), encoding="utf-8")
    assert_refused(plan(project), "tenants/keepers.yaml", "uptime.public_host")


def test_compose_publishes_only_on_the_internal_address() -> None:
    doc = yaml.safe_load(uptime_compose("192.168.70.45"))
    assert doc["services"]["uptime-kuma"]["ports"] == [f"192.168.70.45:{PORT}:{PORT}"]
