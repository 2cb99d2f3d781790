"""Router readiness: the check passes on a router that forwards and NATs (the real rulesets, loaded into a
network namespace by the real nft) and names what is missing otherwise; the cloud-init wait is valid sh."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from model.edge import router_spec
from model.platform import Platform
from render.edge import caddy_apply_command
from render.natgw import gateway_ruleset
from render.readiness import EDGE_NAT, PROXY_NAT, cloud_init_wait, router_ready_script
from render.router import nftables_ruleset
from tests.support.netns import netns, run
from tests.support.shell import cloud_init_stub, shellcheck, stub_env

pytestmark = pytest.mark.system  # network namespaces


def _check(ns: str, script: str) -> subprocess.CompletedProcess[str]:
    return run("ip", "netns", "exec", ns, "bash", "-c", script, check=False)


def _load(ns: str, ruleset: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.nft"
    path.write_text(ruleset)
    run("ip", "netns", "exec", ns, "nft", "-f", str(path))


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for name, table in {"proxy.sh": PROXY_NAT, "edge.sh": EDGE_NAT}.items():
        result = shellcheck(router_ready_script(table), tmp_path, name)
        assert result.returncode == 0, result.stdout
    wait = shellcheck(cloud_init_wait() + "true\n", tmp_path, "wait.sh", shell="sh")
    assert wait.returncode == 0, wait.stdout
    assert shellcheck("[ $x = 1 ]\n", tmp_path, "broken.sh").returncode != 0  # twin


def test_a_tenant_proxy_that_forwards_and_nats_is_ready(tmp_path: Path) -> None:
    with netns() as (ns,):
        script = router_ready_script(PROXY_NAT)
        off = _check(ns, script)  # a fresh namespace: forwarding off, no table
        assert off.returncode == 1 and "IPv4 forwarding is off" in off.stderr
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        missing = _check(ns, script)
        assert missing.returncode == 1 and "ip proxcloud_gateway is not loaded" in missing.stderr
        _load(ns, gateway_ruleset(["192.168.10.0/24"], "10.200.1.2"), tmp_path)
        ready = _check(ns, script)
        assert ready.returncode == 0, ready.stderr
        assert "router ready" in ready.stdout


def test_a_table_without_source_nat_is_not_ready(tmp_path: Path) -> None:
    with netns() as (ns,):
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        no_nat = gateway_ruleset(["192.168.10.0/24"], "10.200.1.2").replace("snat to 10.200.1.2", "accept")
        _load(ns, no_nat, tmp_path)
        result = _check(ns, router_ready_script(PROXY_NAT))
        assert result.returncode == 1 and "has no source NAT rule" in result.stderr


def test_the_provider_edge_is_ready_with_its_own_ruleset(spec_dev: Platform, tmp_path: Path) -> None:
    with netns() as (ns,):
        run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        assert _check(ns, router_ready_script(EDGE_NAT)).returncode == 1
        _load(ns, nftables_ruleset(router_spec(spec_dev.edge, spec_dev.settings)), tmp_path)
        result = _check(ns, router_ready_script(EDGE_NAT))
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("rc", "runs"), [(0, True), (2, True), (1, False)])
def test_the_cloud_init_wait_passes_finished_boots_only(tmp_path: Path, rc: int, runs: bool) -> None:
    result = subprocess.run(
        ["sh", "-c", cloud_init_wait() + "echo ran"],
        capture_output=True,
        text=True,
        env=stub_env(tmp_path, {"cloud-init": cloud_init_stub(tmp_path, rc)}),
    )
    assert (result.stdout == "ran\n") is runs
    assert result.returncode == (0 if runs else 1)
    assert caddy_apply_command().startswith(cloud_init_wait())
