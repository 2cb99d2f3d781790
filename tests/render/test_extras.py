"""Optional extras: each compose passes the real Compose binary, only Vaultwarden publishes a port (on its internal
address), images are pinned, and the secrets live only in 0600 env files."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from render.cloudinit import WriteFile
from render.extras import (
    CLOUDFLARED_IMAGE,
    ENV_FILE,
    TWINGATE_IMAGE,
    VAULTWARDEN_IMAGE,
    ComposeProject,
    Extra,
    ExtrasError,
    VaultwardenSite,
    cloudflared_project,
    twingate_project,
    vaultwarden_project,
)
from tests.support.compose import compose_binary, compose_config

TUNNEL_TOKEN = "eyJhIjoiMTIzNDU2Nzg5MCIsInQiOiJhYmNkZWYiLCJzIjoi$HOME-not-expanded"
ADMIN_TOKEN = "$argon2id$v=19$m=65540,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
ACCESS, REFRESH = "access-" + "a" * 40, "refresh-" + "r" * 40
SECRETS = (TUNNEL_TOKEN, ADMIN_TOKEN, ACCESS, REFRESH)
VW = VaultwardenSite(public_host="vault.keepers.example", listen_address="192.168.50.30")


def projects() -> dict[Extra, ComposeProject]:
    return {
        Extra.CLOUDFLARED: cloudflared_project(TUNNEL_TOKEN),
        Extra.VAULTWARDEN: vaultwarden_project(VW, ADMIN_TOKEN),
        Extra.TWINGATE: twingate_project("keepers", "wp-web", ACCESS, REFRESH),
    }


def resolved(p: ComposeProject, where: Path) -> dict[str, Any]:
    """The project as the real Compose binary resolves it (env file read, ports normalised)."""
    result = compose_config(p.compose, where, {ENV_FILE: p.env})
    assert result.returncode == 0, result.stderr
    out = subprocess.run(
        [str(compose_binary()), "-f", str(where / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("extra", list(Extra))
def test_compose_passes_the_real_binary_and_fails_without_its_env_file(extra: Extra, tmp_path: Path) -> None:
    p = projects()[extra]
    assert compose_config(p.compose, tmp_path / "ok", {ENV_FILE: p.env}).returncode == 0
    assert compose_config(p.compose, tmp_path / "missing", {}).returncode != 0  # twin


def published(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (name, p.get("host_ip", ""), str(p["published"]))
        for name, svc in doc["services"].items()
        for p in svc.get("ports", [])
    }


def only_vaultwarden_on_its_address(ports_by_extra: dict[Extra, set[tuple[str, str, str]]]) -> bool:
    return all(
        not ports if extra is not Extra.VAULTWARDEN else all(ip == VW.listen_address for _, ip, _ in ports)
        for extra, ports in ports_by_extra.items()
    )


def test_no_extra_publishes_a_port_except_vaultwarden_on_its_internal_address(tmp_path: Path) -> None:
    ports = {e: published(resolved(p, tmp_path / e.value)) for e, p in projects().items()}
    assert ports[Extra.VAULTWARDEN] == {("vaultwarden", "192.168.50.30", "8080")}
    assert only_vaultwarden_on_its_address(ports)
    # twins: Vaultwarden on every interface, and a connector that publishes, are both caught
    everywhere = replace(projects()[Extra.VAULTWARDEN])
    everywhere = replace(everywhere, compose=everywhere.compose.replace("192.168.50.30:8080:80", "8080:80"))
    assert not only_vaultwarden_on_its_address({Extra.VAULTWARDEN: published(resolved(everywhere, tmp_path / "vw"))})
    doc = yaml.safe_load(projects()[Extra.TWINGATE].compose)
    doc["services"]["twingate-connector"]["ports"] = ["127.0.0.1:9999:9999"]
    leaky = replace(projects()[Extra.TWINGATE], compose=yaml.safe_dump(doc))
    assert not only_vaultwarden_on_its_address({Extra.TWINGATE: published(resolved(leaky, tmp_path / "tg"))})


def secrets_only_in_0600_files(files: tuple[WriteFile, ...], secrets: tuple[str, ...]) -> bool:
    holding = [f for f in files if any(s in f.content for s in secrets)]
    return bool(holding) and all(f.permissions == "0600" and f.owner == "root:root" for f in holding)


def test_secrets_only_in_0600_env_files_and_reach_the_containers(tmp_path: Path) -> None:
    for extra, p in projects().items():
        assert secrets_only_in_0600_files(p.write_files(), SECRETS), extra
        assert not any(s in p.compose for s in SECRETS)
        assert [f.path for f in p.write_files()] == [
            f"/opt/proxcloud/{extra.value}/compose.yaml",
            f"/opt/proxcloud/{extra.value}/{ENV_FILE}",
        ]
    env = {
        name: {k: v.replace("$$", "$") for k, v in svc["environment"].items()}
        for e, p in projects().items()
        for name, svc in resolved(p, tmp_path / e.value)["services"].items()
    }
    assert env["cloudflared"]["TUNNEL_TOKEN"] == TUNNEL_TOKEN
    assert env["vaultwarden"]["ADMIN_TOKEN"] == ADMIN_TOKEN
    assert env["vaultwarden"]["SIGNUPS_ALLOWED"] == "false"
    assert env["twingate-connector"]["TWINGATE_ACCESS_TOKEN"] == ACCESS
    assert env["twingate-connector"]["TWINGATE_REFRESH_TOKEN"] == REFRESH
    # twins: a world-readable env file, and a secret inlined into the compose file, are both caught
    p = projects()[Extra.CLOUDFLARED]
    compose_file, env_file = p.write_files()
    assert not secrets_only_in_0600_files((compose_file, replace(env_file, permissions="0644")), SECRETS)
    inlined = replace(compose_file, content=compose_file.content + f"# {TUNNEL_TOKEN}\n")
    assert not secrets_only_in_0600_files((inlined, env_file), SECRETS)


def test_images_are_pinned() -> None:
    for image in (CLOUDFLARED_IMAGE, VAULTWARDEN_IMAGE, TWINGATE_IMAGE):
        tag = image.rsplit(":", 1)[1]
        assert "latest" not in tag and tag[0].isdigit(), image
    for p in projects().values():
        images = [svc["image"] for svc in yaml.safe_load(p.compose)["services"].values()]
        assert all(i in (CLOUDFLARED_IMAGE, VAULTWARDEN_IMAGE, TWINGATE_IMAGE) for i in images)


@pytest.mark.parametrize(
    "build",
    [
        lambda: cloudflared_project("short"),
        lambda: vaultwarden_project(VW, "has a ' quote" + "x" * 40),
        lambda: twingate_project("Keepers!", "wp-web", ACCESS, REFRESH),
        lambda: VaultwardenSite(public_host="vault.keepers.example", listen_address="0.0.0.0"),
    ],
)
def test_bad_input_is_refused(build: Any) -> None:
    with pytest.raises(ExtrasError):
        build()
