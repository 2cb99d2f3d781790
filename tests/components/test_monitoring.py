"""MonitoringStack as planned: read-only token, three VMs with secret user data, routes, outputs."""

from __future__ import annotations

import dataclasses

from proofs.isolation import check_monitoring
from proofs.privileges import ACL, ROLE
from tests.support.graph import reg
from tools.mockengine import Recording

TOKEN = "proxmoxve:user/token:Token"


def test_token_with_privilege_separation_and_audit_acls(plan: Recording) -> None:
    token = plan.one(TOKEN, "alpha-monitoring-token").inputs
    assert token == {**token, "userId": "monitoring-alpha@pve", "tokenName": "telegraf", "privilegesSeparation": True}
    acls = {
        (a.inputs["path"], a.inputs["roleId"], a.inputs.get("tokenId", a.inputs.get("userId")))
        for a in plan.by_type(ACL)
        if a.name.startswith("alpha-monitoring")
    }
    # issue 14 finding 1: VM.Audit on the tenant's pool and nothing else (no node ACL, no PVEAuditor)
    assert acls == {
        ("/pool/alpha", "alpha-telegraf", "monitoring-alpha@pve!telegraf"),
        ("/pool/alpha", "alpha-telegraf", "monitoring-alpha@pve"),
    }
    assert plan.one(ROLE, "alpha-monitoring-role").inputs["privileges"] == ["VM.Audit"]


def test_monitoring_principals_are_read_only_and_own_tenant_only(plan: Recording) -> None:
    assert check_monitoring(plan) == []


def test_a_writing_monitoring_token_is_caught(plan_dev: Recording) -> None:
    role = reg(ROLE, "w", roleId="writer", privileges=["VM.PowerMgmt"])
    acl = reg(ACL, "w-acl", path="/pool/alpha", roleId="writer", tokenId="monitoring-alpha@pve!telegraf", userId=None)
    acl.inputs.pop("userId")
    user_acl = reg(ACL, "w-acl-u", path="/pool/alpha", roleId="writer", userId="monitoring-alpha@pve")
    bad = dataclasses.replace(plan_dev, resources=[*plan_dev.resources, role, acl, user_acl])
    found = check_monitoring(bad)
    assert any("VM.PowerMgmt" in v.privileges and v.rule == "monitoring may only read" for v in found), found


def test_a_monitoring_token_on_another_tenant_is_caught(plan_dev: Recording) -> None:
    acl = reg(ACL, "x", path="/pool/beta", roleId="PVEAuditor", tokenId="monitoring-alpha@pve!telegraf")
    user = reg(ACL, "y", path="/pool/beta", roleId="PVEAuditor", userId="monitoring-alpha@pve")
    found = check_monitoring(dataclasses.replace(plan_dev, resources=[*plan_dev.resources, acl, user]))
    assert any(v.path == "/pool/beta" for v in found), found


def test_three_vms_with_secret_user_data(plan: Recording) -> None:
    files = {f.name: f.inputs for f in plan.by_type("proxmoxve:index/fileLegacy:FileLegacy")}
    for role in ("influxdb", "grafana", "chronograf"):
        assert files[f"alpha-monitoring-{role}-user-data"]["sourceRaw"]["data"] == "[secret]"


def test_routes_and_outputs(plan: Recording) -> None:
    routes = plan.one("command:remote:Command", "alpha-proxy-routes").inputs["stdin"]
    assert "grafana-alpha." in routes and "chronograf-alpha." in routes
    mon = plan.outputs["tenants"]["alpha"]["monitoring"]
    assert mon["influxdb"] == "http://192.168.10.20:8086" and mon["pveUser"] == "monitoring-alpha@pve"
    assert plan.outputs["grafanaAdminPasswords"] == "[secret]"


def test_later_changes_reach_the_running_monitoring_vms(plan: Recording) -> None:
    """User data is first-boot input: a rotated token, a new node in telegraf.conf or a new retention reach the
    three running VMs through `reconfigure` (components/vm.py): a guest command per VM whose stdin (a secret) is
    the whole config again, re-run when it changes or when the VM is replaced (its trigger is the VM's id)."""
    for tenant in ("alpha", "beta"):
        for role in ("influxdb", "grafana", "chronograf"):
            cmd = plan.one("command:remote:Command", f"{tenant}-monitoring-{role}-reconfigure")
            vm = plan.one("proxmoxve:index/vmLegacy:VmLegacy", f"{tenant}-monitoring-{role}-vm")
            assert cmd.inputs["stdin"] == "[secret]"
            assert vm.urn in cmd.dependencies and cmd.inputs["triggers"] == [str(vm.inputs["vmId"])]
            assert f"qm guest exec {vm.inputs['vmId']} " in cmd.inputs["create"]


def test_the_influxdb_reconfigure_rewrites_telegrafs_env_and_converges(tmp_path) -> None:
    from render.provision import reconfigure_script
    from services.monitoring.render import influx_vm_cloud_config
    from tests.support.monitoring_fixtures import KEY, PASSWORDS, TOKEN, params
    from tests.support.shell import shellcheck

    cfg = influx_vm_cloud_config(params(), hostname="mon-influx", ssh_keys=(KEY,), api_token=TOKEN, passwords=PASSWORDS)
    text = reconfigure_script("monitoring-influxdb", cfg)
    assert "put /opt/proxcloud/telegraf/telegraf.env 0600 root:root" in text and TOKEN in text
    assert "docker compose --project-directory /opt/proxcloud/telegraf" in text
    result = shellcheck(text, tmp_path, "reconfigure.sh")
    assert result.returncode == 0, result.stdout
