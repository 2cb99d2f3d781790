"""Grafana provisioning and dashboards: provisioning YAML against a JSON Schema written from Grafana's docs,
dashboards type-checked against @grafana/schema with TypeScript, and every query naming only what Telegraf emits."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from render.monitoring import (
    dashboard_cluster,
    dashboard_guests,
    dashboard_queries,
    grafana_dashboard_provider_yaml,
    grafana_datasource_yaml,
)
from render.monitoring.grafana import dashboard_identifiers
from render.monitoring.telegraf import telegraf_settings
from tests.support import telegraf_proxmox_shape as telegraf
from tests.support.monitoring_fixtures import params

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "render" / "schemas"
NPM_DIR = ROOT / "deps" / "npm-grafana"
TSC = NPM_DIR / "node_modules" / ".bin" / "tsc"

DASHBOARDS: dict[str, Callable[[], dict[str, Any]]] = {
    "cluster": lambda: dashboard_cluster(params()),
    "guests": lambda: dashboard_guests(params()),
}


def provisioning_errors(kind: str, text: str) -> list[str]:
    schema = json.loads((SCHEMAS / f"grafana-provisioning-{kind}.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(yaml.safe_load(text))]


def test_provisioning_schemas_are_valid_json_schemas() -> None:
    for kind in ("datasources", "dashboards"):
        jsonschema.Draft202012Validator.check_schema(
            json.loads((SCHEMAS / f"grafana-provisioning-{kind}.json").read_text())
        )


def test_datasource_yaml_matches_grafana_provisioning_schema() -> None:
    text = grafana_datasource_yaml(params())
    assert provisioning_errors("datasources", text) == []
    ds = yaml.safe_load(text)["datasources"][0]
    assert ds["type"] == "influxdb" and ds["jsonData"]["version"] == "InfluxQL"
    assert ds["jsonData"]["dbName"] == "proxmox_tenant1" and ds["url"] == "http://192.168.20.10:8086"
    # Read-only user; the password is interpolated by Grafana from its environment (grafana.env), not stored here.
    assert ds["user"] == "grafana" and ds["secureJsonData"] == {"password": "${INFLUX_PASSWORD}"}


def test_dashboard_provider_yaml_matches_grafana_provisioning_schema() -> None:
    assert provisioning_errors("dashboards", grafana_dashboard_provider_yaml()) == []


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        ("datasources", lambda d: d["datasources"][0].update(access="server")),
        ("datasources", lambda d: d["datasources"][0]["jsonData"].pop("dbName")),
        ("datasources", lambda d: d["datasources"][0]["jsonData"].update(dbname="x")),
        ("datasources", lambda d: d.update(apiVersion=2)),
        ("dashboards", lambda d: d["providers"][0]["options"].update(foldersFromFilesStructure=True)),
        ("dashboards", lambda d: d["providers"][0].update(updateIntervalSeconds="60")),
        ("dashboards", lambda d: d["providers"][0]["options"].pop("path")),
    ],
)
def test_provisioning_schema_rejects_broken_files(kind: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    text = grafana_datasource_yaml(params()) if kind == "datasources" else grafana_dashboard_provider_yaml()
    doc = yaml.safe_load(text)
    mutate(doc)
    assert provisioning_errors(kind, yaml.safe_dump(doc)) != []


def tsc_check(dashboards: dict[str, dict[str, Any]], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Type-check each dashboard as `const d: Dashboard = {...}` with tsc --strict against @grafana/schema."""
    if not TSC.exists():
        pytest.fail(f"{TSC} is missing: run `npm ci` in {NPM_DIR} (make test does it)")
    (tmp_path / "node_modules").symlink_to(NPM_DIR / "node_modules")
    files = []
    for name, dash in dashboards.items():
        path = tmp_path / f"{name}.ts"
        path.write_text(
            "import type { Dashboard } from '@grafana/schema';\n\n"
            f"export const d: Dashboard = {json.dumps(dash, indent=2)};\n"
        )
        files.append(str(path))
    args = ["--noEmit", "--strict", "--skipLibCheck", "--moduleResolution", "bundler", "--module", "esnext"]
    return subprocess.run(
        [str(TSC), *args, "--target", "es2022", *files],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.mark.slow
def test_dashboards_type_check_against_grafana_schema(tmp_path: Path) -> None:
    result = tsc_check({name: build() for name, build in DASHBOARDS.items()}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["panels"][0].pop("type"),
        lambda d: d["panels"][0]["gridPos"].update(h="8"),
        lambda d: d.pop("schemaVersion"),
        lambda d: d.update(graphTooltip=7),
        lambda d: d["panels"][0]["fieldConfig"].pop("defaults"),
    ],
)
def test_type_check_fails_on_a_broken_dashboard(mutate: Callable[[dict[str, Any]], None], tmp_path: Path) -> None:
    dash = dashboard_cluster(params())
    mutate(dash)
    result = tsc_check({"broken": dash}, tmp_path)
    assert result.returncode != 0
    assert "error TS" in result.stdout


def names_not_emitted_by_telegraf(dash: dict[str, Any]) -> set[str]:
    """Quoted identifiers in the queries that are neither Telegraf's proxmox names nor our subquery alias "v"."""
    known = {telegraf.MEASUREMENT, *telegraf.TAGS, *telegraf.FIELDS, "v"}
    return dashboard_identifiers(dash) - known


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_queries_name_only_what_telegraf_emits(name: str) -> None:
    dash = DASHBOARDS[name]()
    assert names_not_emitted_by_telegraf(dash) == set()
    queries = dashboard_queries(dash)
    assert all('FROM "proxmox"' in q for q in queries)
    # Every panel target and every variable is in the list the data-path test runs.
    n_targets = sum(len(p["targets"]) for p in dash["panels"])
    assert len(queries) == n_targets + len(dash["templating"]["list"])


def test_name_check_fails_on_a_field_telegraf_does_not_emit() -> None:
    dash = dashboard_cluster(params())
    target = dash["panels"][0]["targets"][0]
    target["query"] = target["query"].replace('"cpuload"', '"cpu_load"')
    assert names_not_emitted_by_telegraf(dash) == {"cpu_load"}


def test_panels_use_the_provisioned_datasource_and_unique_ids() -> None:
    for build in DASHBOARDS.values():
        dash = build()
        assert len({p["id"] for p in dash["panels"]}) == len(dash["panels"])
        for panel in dash["panels"]:
            assert all(t["datasource"]["uid"] == "influx-tenant1" for t in panel["targets"])


def tags_the_conf_does_not_emit(conf: dict[str, Any], dashboards: list[dict[str, Any]]) -> set[str]:
    """Optional tags (vm_id, status) the dashboards use but telegraf.conf does not ask the proxmox input for."""
    used = set().union(*(dashboard_identifiers(d) for d in dashboards))
    optional = {"vm_id": "vmid", "status": "status"}  # proxmox.go: tag -> additional_vmstats_tags value
    asked = [set(i.get("additional_vmstats_tags", [])) for i in conf["inputs"]["proxmox"]]
    return {tag for tag, opt in optional.items() if tag in used and not all(opt in a for a in asked)}


def test_telegraf_conf_emits_every_optional_tag_the_dashboards_use() -> None:
    dashboards = [build() for build in DASHBOARDS.values()]
    assert tags_the_conf_does_not_emit(telegraf_settings(params()), dashboards) == set()


def test_optional_tag_check_fails_when_the_conf_does_not_ask_for_vmid() -> None:
    conf = telegraf_settings(params())
    conf["inputs"]["proxmox"][1]["additional_vmstats_tags"] = []
    assert tags_the_conf_does_not_emit(conf, [dashboard_guests(params())]) == {"vm_id"}
