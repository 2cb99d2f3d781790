"""The edge VMs' cloud-init (NPM rProxy, Caddy edge, provider router) passes the real `cloud-init schema` and ships
exactly the rendered artifacts, with the credentials file root-only."""

from __future__ import annotations

from pathlib import Path

import yaml

from render.cloudinit import render_user_data, user_data
from render.edge import (
    CADDYFILE_PATH,
    NPM_COMPOSE_PATH,
    NPM_CREDENTIALS_PATH,
    NPM_ROUTES_PATH,
    NPM_SYNC_PATH,
    Route,
    caddy_edge_cloud_config,
    caddyfile,
    npm_edge_cloud_config,
    npm_sync_script,
)
from render.router import NFTABLES_PATH, nftables_ruleset, router_cloud_config
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema
from tests.support.router_spec import SPEC

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@example"
ROUTES = (Route("humhub.example.net", "10.10.10.6", 80), Route("test.example.net", "10.10.10.7", 80))
EMAIL = "ops@example.net"


def _files(doc: dict) -> dict[str, dict]:
    return {f["path"]: f for f in doc["write_files"]}


def test_npm_edge_passes_cloud_init_schema(tmp_path: Path) -> None:
    cfg = npm_edge_cloud_config("rproxy", (KEY,), ROUTES, EMAIL, "correct-horse-battery", fqdn="rproxy.example.net")
    assert_valid_cloud_config(render_user_data(cfg), tmp_path)
    doc = user_data(cfg)
    files = _files(doc)
    assert set(files) == {NPM_COMPOSE_PATH, NPM_CREDENTIALS_PATH, NPM_ROUTES_PATH, NPM_SYNC_PATH}
    assert files[NPM_CREDENTIALS_PATH]["permissions"] == "0600"
    assert files[NPM_SYNC_PATH]["content"] == npm_sync_script()
    assert "docker-compose-plugin" in doc["packages"] and "docker.list" in doc["apt"]["sources"]
    assert ["docker", "compose", "-f", NPM_COMPOSE_PATH, "up", "-d"] in doc["runcmd"]
    assert any(c[0] == NPM_SYNC_PATH for c in doc["runcmd"] if isinstance(c, list))


def test_caddy_edge_passes_cloud_init_schema(tmp_path: Path) -> None:
    cfg = caddy_edge_cloud_config("edge", (KEY,), ROUTES, EMAIL)
    text = render_user_data(cfg)
    assert_valid_cloud_config(text, tmp_path)
    doc = yaml.safe_load(text)
    assert _files(doc)[CADDYFILE_PATH]["content"] == caddyfile(ROUTES, EMAIL)
    assert "caddy" in doc["packages"]


def test_router_passes_cloud_init_schema(tmp_path: Path) -> None:
    cfg = router_cloud_config("edge-router", (KEY,), SPEC)
    text = render_user_data(cfg)
    assert_valid_cloud_config(text, tmp_path)
    files = _files(yaml.safe_load(text))
    assert files[NFTABLES_PATH]["content"] == nftables_ruleset(SPEC)
    assert "/etc/systemd/network/05-public.network" in files


def test_twin_schema_rejects_a_broken_edge_config(tmp_path: Path) -> None:
    text = render_user_data(caddy_edge_cloud_config("edge", (KEY,), ROUTES, EMAIL))
    broken = text.replace("write_files:", "write_files: 7\nwrite_filez:", 1)
    assert cloud_init_schema(broken, tmp_path).returncode != 0
