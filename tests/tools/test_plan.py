"""`make plan`: the plan files' shape, secrets redacted, and bad input refused with exit code 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stacks import with_fixture_inputs
from tools.mockengine import PROJECT_DIR, Recording
from tools.plan import main, plan_document, render_mermaid

KEYS = {
    "urn",
    "type",
    "name",
    "custom",
    "parent",
    "provider",
    "protect",
    "dependencies",
    "inputs",
    "options",
    "computedInputs",
}


def test_plan_document_shape(plan: Recording) -> None:
    doc = plan_document("proxcloud", "dev", plan)
    assert set(doc) == {"project", "stack", "resources", "outputs"}
    urns = {r["urn"] for r in doc["resources"]}
    for r in doc["resources"]:
        assert set(r) == KEYS
        assert r["parent"] is None or r["parent"] in urns
        assert set(r["dependencies"]) <= urns
    json.dumps(doc)


def test_no_secret_value_in_the_plan_or_outputs(plan: Recording) -> None:
    text = json.dumps(plan_document("proxcloud", "dev", plan))
    assert "mock-password-" not in text
    users = [r for r in plan.resources if r.type == "proxmoxve:index/userLegacy:UserLegacy"]
    # every password is a secret; the auditor (components/audit.py) has none: it logs in by token only
    assert users and all(u.inputs.get("password", "[secret]") == "[secret]" for u in users)
    assert [u.inputs["userId"] for u in users if "password" not in u.inputs] == ["audit@pve"]
    assert plan.outputs["initialPasswords"] == "[secret]"


def test_redaction_check_would_see_a_leak() -> None:
    """Twin: the mock's password values carry the marker the check above searches for, and only a secret
    wrapper turns them into "[secret]" in the plan."""
    from tools.mockengine import SECRET_SIG, SPECIAL_SIG_KEY, _plain, _synthesize

    value = _synthesize("random:index/randomPassword:RandomPassword", "p", {})[1]["result"]
    assert "mock-password-" in json.dumps(_plain({"password": value}))
    assert _plain({"password": {SPECIAL_SIG_KEY: SECRET_SIG, "value": value}}) == {"password": "[secret]"}


def test_mermaid_shows_tenants_vnets_and_cidrs(plan_prod: Recording) -> None:
    md = render_mermaid("prod", plan_prod)
    for text in ("tenant alpha", "VNet alphaweb", "192.168.10.0/24", "VNI 10040", "pve3<br/>VTEP 10.100.0.3"):
        assert text in md
    assert "192.168.10.0/24<br/>DHCP 192.168.10.100-192.168.10.199" in md  # setup D's ranges
    assert '10.10.10.0/24"])' in md  # setup A's LAN: static only


@pytest.mark.slow
def test_make_plan_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "dev", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "plan-dev.json").read_text())
    assert doc["stack"] == "dev" and doc["project"] == "proxcloud"
    assert (tmp_path / "plan-dev.md").read_text().startswith("# proxcloud plan")
    out = capsys.readouterr().out
    assert "resources per type" in out and "proxcloud:index:Tenant " in out


def _project_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, dst, ignore=shutil.ignore_patterns(".venv", ".git", ".cache", "build", "node_modules", "*.pyc")
    )
    return with_fixture_inputs(dst)


@pytest.mark.slow
def test_bad_tenant_exits_2_without_traceback_or_plan(tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    (project / "tenants" / "broken.yaml").write_text("name: broken\nnumber: 9\naccess: admin\nzone: {id: brk}\n")
    (project / "tenants" / "clash.yaml").write_text(
        "name: clash\nnumber: 8\naccess: operator\nzone: {id: alpha}\nvnets: [{id: cw, cidr: 192.168.10.0/24}]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(project)}
    result = subprocess.run(
        [sys.executable, "-m", "tools.plan", "--stack", "dev"], cwd=project, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "tenants/broken.yaml: access: Input should be 'operator' or 'self-service'" in result.stderr
    assert "tenants/clash.yaml: zone.id: zone id alpha is already used by tenants/alpha.yaml" in result.stderr
    assert "192.168.10.0/24 overlaps" in result.stderr
    assert not (project / "build").exists()


def test_unknown_stack_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "nope", "--out", str(tmp_path)]) == 2
    assert "Pulumi.nope.yaml" in capsys.readouterr().err


def test_bad_input_registers_nothing() -> None:
    import pulumi

    from tools.mockengine import run_program, stack_config

    config = stack_config("dev")
    config["proxcloud:domain"] = "Bad Domain"
    rec = Recording()
    with pytest.raises(pulumi.RunError, match=r"Pulumi\.dev\.yaml: proxcloud:domain: 'Bad Domain' is not"):
        run_program("dev", config=config, recording=rec)
    assert [r.type for r in rec.resources] == ["pulumi:pulumi:Stack"]
