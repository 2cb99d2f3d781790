"""`make audit` against a fake PVE 9 cluster holding the dev plan (tests/support/fakepve_audit.py): the clean
cluster gives no finding, each injected drift is found and named, and what cannot be audited exits 2 cleanly.

The audit token holds exactly PVEAuditor on / in the fake, so fakepve hides and refuses what PVE would.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.fakepve_audit import (
    AUDIT_TOKEN,
    DEPLOY_USER,
    GIB,
    PBS_TOKEN,
    AuditFakePve,
    PbsStandIn,
    audit_token,
    deploy,
    serve_pbs,
    serve_pve,
)
from tests.support.graph import reg
from tools.audit import cli
from tools.audit.client import ApiToken, CannotAudit, ReadOnlyPve, ReadOnlyViolation
from tools.audit.findings import Category
from tools.audit.report import Audit
from tools.mockengine import PROJECT_DIR, Recording, run_program

pytestmark = pytest.mark.system  # a fake PVE cluster and PBS served over HTTPS

NO_CONFIG = staticmethod(lambda stack, key: None)
ENV = {"PROXCLOUD_AUDIT_TOKEN": audit_token(), "PROXCLOUD_AUDIT_PBS_TOKEN": f"{PBS_TOKEN[0]}={PBS_TOKEN[1]}"}
PVE_ONLY = {"PROXCLOUD_AUDIT_TOKEN": audit_token()}
BACKUP_GB = 12  # per tenant namespace in the clean state


@contextmanager
def deployed(pki: tuple[str, str], cafile: str, plan: Recording) -> Iterator[AuditFakePve]:
    with serve_pve(pki) as pve:
        deploy(pve, plan, cafile)
        yield pve


@contextmanager
def backed_up(pki: tuple[str, str], plan: Recording) -> Iterator[PbsStandIn]:
    with serve_pbs(pki) as standin:
        for tenant in plan.outputs["backup"]["storages"]:
            snap = {"backup-type": "vm", "backup-id": "100", "backup-time": 1_780_000_000, "size": BACKUP_GB * GIB}
            standin.snapshots[("offsite", tenant)] = [snap]
        yield standin


@pytest.fixture
def cluster(_fakepve_pki: tuple[str, str], fakepve_cafile: str, plan_dev: Recording) -> Iterator[AuditFakePve]:
    with deployed(_fakepve_pki, fakepve_cafile, plan_dev) as pve:
        yield pve


@pytest.fixture
def pbs(_fakepve_pki: tuple[str, str], plan_dev: Recording) -> Iterator[PbsStandIn]:
    with backed_up(_fakepve_pki, plan_dev) as standin:
        yield standin


@pytest.fixture(scope="module")
def shipped_plan() -> Recording:
    """`make audit` plans the user's own dev stack (Pulumi.dev.yaml, tenants/), whatever it holds."""
    return run_program("dev")


@pytest.fixture
def shipped_cluster(
    _fakepve_pki: tuple[str, str], fakepve_cafile: str, shipped_plan: Recording
) -> Iterator[AuditFakePve]:
    with deployed(_fakepve_pki, fakepve_cafile, shipped_plan) as pve:
        yield pve


@pytest.fixture
def shipped_pbs(_fakepve_pki: tuple[str, str], shipped_plan: Recording) -> Iterator[PbsStandIn]:
    with backed_up(_fakepve_pki, shipped_plan) as standin:
        yield standin


def run(pve: AuditFakePve, pbs: PbsStandIn | None, cafile: str, plan: Recording, **kw: Any) -> Audit:
    return cli.run_audit(
        "dev",
        endpoint=pve.url,
        verify=cafile,
        known=kw.pop("known", (DEPLOY_USER,)),
        pbs_endpoint=f"https://127.0.0.1:{pbs.port}/" if pbs else None,
        pbs_verify=cafile,
        environ=kw.pop("environ", ENV),
        read_config=lambda stack, key: None,
        plan=plan,
        **kw,
    )


def messages(audit: Audit, category: str) -> list[str]:
    return [f.message for f in audit.findings if f.category == category]


def test_the_clean_cluster_gives_no_finding(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert [f.message for f in audit.findings] == [], "\n".join(f.message for f in audit.findings)
    assert audit.compared > 200
    assert {u.tenant: u.used_gb for u in audit.usage}["hosting"] == BACKUP_GB
    assert {s.verdict for s in audit.sizes} == {"right-sized"}
    assert len(audit.sizes) == 22  # 18 VMs and 4 containers


def test_the_audit_only_ever_sends_get(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    before = len(cluster.requests)
    run(cluster, pbs, fakepve_cafile, plan_dev)
    sent = cluster.requests[before:]
    assert sent and {m for m, _, _ in sent} == {"GET"}
    assert {m for m, _ in pbs.requests} == {"GET"}


def test_the_deploy_identity_is_extra_unless_known(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    """Twin of the clean test: the out-of-band deploy user is only quiet because it is named as known."""
    audit = run(cluster, pbs, fakepve_cafile, plan_dev, known=())
    found = messages(audit, Category.DRIFT)
    assert any("ACL Administrator on / for user:deploy@pve" in m for m in found), found
    assert any("token deploy@pve!pulumi (privilege separation off)" in m for m in found), found


# ------------------------------------------------------------------------------------------- injected drifts


def test_an_acl_granting_one_tenants_group_on_anothers_pool(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    cluster.access["acl"].append(
        {"path": "/pool/beta", "type": "group", "ugid": "alpha-users", "roleid": "alpha-vm-builder", "propagate": 1}
    )
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.UNMANAGED) == [
        "ACL alpha-vm-builder on /pool/beta for group:alpha-users (propagate on): on tenant beta's ground, "
        "declared by nobody"
    ]
    isolation = messages(audit, Category.ISOLATION)
    assert any(m.startswith("live: anna.schmidt@pve (tenant alpha) holds") and "on /pool/beta" in m for m in isolation)


def test_a_gui_created_vm_in_a_tenant_pool(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    cluster.add_vm(
        1077, "scratch", node="pve-dev", status="running", config={"cores": 1, "memory": "512"}, pool="alpha"
    )
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.UNMANAGED) == [
        "qemu 'scratch' (id 1077) in tenant pool alpha: nobody declared it (created by hand?)"
    ]


def test_a_vm_on_an_id_the_spec_allocates_to_another_tenant(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    # 1010106 is community's HumHub (pinned id); 1050 lies in alpha's default range (tenant 1: 1001-1099)
    humhub = next(vm for vm in cluster.vms if vm.vmid == 1010106)
    cluster.vms.remove(humhub)
    cluster._pool_leave(1010106)
    cluster.add_vm(1010106, "beta-box", node="pve-dev", config={"cores": 1, "memory": "512"}, pool="beta")
    cluster.add_vm(1050, "beta-next", node="pve-dev", config={"cores": 1, "memory": "512"})
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.SQUAT) == [
        "VM id 1010106 is held by qemu 'beta-box' in pool beta; the spec allocates it to qemu 'humhub' (pool "
        "community) of tenant community",
        "VM id 1050 is held by qemu 'beta-next' in pool -; ids 1001-1099 are tenant alpha's (number * 1000 + slot)",
    ]


def test_a_vm_on_the_providers_drill_scratch_ids(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    """Issue 14 finding 4: the provider's own ids (the restore drill's scratch range) are watched too; the twin
    without a drill in the plan reports the same guest as an extra guest only."""
    drill = reg("proxcloud:index:RestoreDrill", "restore-drill", scratch_ids=[999999900, 999999909])
    with_drill = dataclasses.replace(plan_dev, resources=[*plan_dev.resources, drill])
    cluster.add_vm(999999901, "alpha-box", node="pve-dev", config={"cores": 1, "memory": "512"})
    assert messages(run(cluster, pbs, fakepve_cafile, with_drill), Category.SQUAT) == [
        "VM id 999999901 is held by qemu 'alpha-box' in pool -; ids 999999900-999999909 are the provider's restore "
        "drill scratch ids (unless the drill is running now)"
    ]
    assert messages(run(cluster, pbs, fakepve_cafile, plan_dev), Category.SQUAT) == []


def test_an_edited_firewall_rule(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    rules = cluster.firewall_config("cluster")["rules"]
    rules[1]["dport"] = "2222"  # SSH to the nodes moved by hand
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.DRIFT) == ["firewall-rules cluster: rule 1.dport planned 22, live 2222"]


def test_a_pending_sdn_change(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    cluster.sdn["vnets"]["alphaweb"]["config"]["tag"] = 10011  # edited in the GUI, not applied
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.PENDING) == [
        "vnet alphaweb: SDN change not applied (state changed: tag 10010 -> 10011); `pulumi up` re-applies, or "
        "apply/revert it under Datacenter > SDN"
    ]
    assert messages(audit, Category.DRIFT) == ["vnet alphaweb: tag planned 10010, live 10011"]


def test_an_extra_token_without_privilege_separation(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    cluster.add_token("anna.schmidt@pve", "ci", privsep=False)
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.UNMANAGED) == [
        "token anna.schmidt@pve!ci (privilege separation off): without privilege separation it holds everything "
        "its user holds: on tenant alpha's ground, declared by nobody"
    ]


def test_a_storage_over_its_allowance(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    pbs.snapshots[("offsite", "hosting")].append(
        {"backup-type": "vm", "backup-id": "3002", "backup-time": 1_780_086_400, "size": 145 * GIB}
    )
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.USAGE) == [
        f"tenant hosting: backups and ISOs take {BACKUP_GB + 145} GB on pbs-hosting, hosting-iso, over its "
        "allowance of 150 GB (backup_allowance_gb): prune or agree a larger allowance"
    ]


def test_an_over_provisioned_guest(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    cluster.usage[3002] = (0.05, 0.1)  # verein-cloud: 2 vCPU / 4096 MiB, a twentieth and a tenth in use
    audit = run(cluster, pbs, fakepve_cafile, plan_dev)
    assert messages(audit, Category.RIGHTSIZING) == [
        "verein-cloud (id 3002) is over-provisioned (vCPU, memory): allocated 2 vCPU / 4096 MiB, p95 of the week "
        "0.11 vCPU / 450.6 MiB, recommended 1 vCPU / 768 MiB (margin 30%)"
    ]


def test_without_a_pbs_token_backups_are_not_measured(cluster, fakepve_cafile, plan_dev) -> None:
    """PVE hides backup volumes from an auditor (check_volume_access): the audit says so instead of reading 0."""
    cluster.storages["pbs-hosting"]["volumes"]["backup/vm/3001/2026-01-01T00:00:00Z"] = {
        "content": "backup", "format": "pbs-vm", "size": 500 * GIB, "vmid": 3001, "ctime": 0,
    }  # fmt: skip
    audit = run(cluster, None, fakepve_cafile, plan_dev, environ={"PROXCLOUD_AUDIT_TOKEN": audit_token()})
    hosting = next(u for u in audit.usage if u.tenant == "hosting")
    assert hosting.backups_measured is False and hosting.used_gb == 0
    assert messages(audit, Category.USAGE) == []


# ------------------------------------------------------------------------------------------- the command


def test_main_writes_the_reports_and_exits_1_on_findings(
    shipped_cluster, shipped_pbs, fakepve_cafile, tmp_path, capsys
) -> None:
    cluster, pbs = shipped_cluster, shipped_pbs
    cluster.add_token("anna.schmidt@pve", "ci", privsep=False)
    argv = ["--stack", "dev", "--endpoint", cluster.url, "--ca-file", fakepve_cafile, "--out", str(tmp_path),
            "--known-principal", DEPLOY_USER, "--pbs-endpoint", f"https://127.0.0.1:{pbs.port}/",
            "--pbs-ca-file", fakepve_cafile]  # fmt: skip
    assert cli.main(argv, environ=ENV, read_config=lambda s, k: None) == 1
    out = capsys.readouterr().out
    assert "unmanaged        1" in out and "! token anna.schmidt@pve!ci" in out
    doc = json.loads((tmp_path / "audit-dev.json").read_text())
    assert doc["clean"] is False and doc["summary"]["unmanaged"] == 1
    assert doc["findings"][0]["kind"] == "token" and doc["findings"][0]["key"] == "anna.schmidt@pve!ci"
    assert "## unmanaged" in (tmp_path / "audit-dev.md").read_text()
    assert (tmp_path / "audit-dev.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_main_exits_0_on_the_clean_cluster(shipped_cluster, shipped_pbs, fakepve_cafile, tmp_path, capsys) -> None:
    cluster, pbs = shipped_cluster, shipped_pbs
    argv = ["--stack", "dev", "--endpoint", cluster.url, "--ca-file", fakepve_cafile, "--out", str(tmp_path),
            "--known-principal", DEPLOY_USER, "--pbs-endpoint", f"https://127.0.0.1:{pbs.port}/",
            "--pbs-ca-file", fakepve_cafile]  # fmt: skip
    assert cli.main(argv, environ=ENV, read_config=lambda s, k: None) == 0
    assert "clean: the cluster is the plan" in capsys.readouterr().out


def test_the_token_may_come_from_the_stack_config(cluster, pbs, fakepve_cafile, plan_dev) -> None:
    asked = []

    def config(stack: str, key: str) -> str | None:
        asked.append(key)
        return audit_token() if key == "proxcloud-audit:token" else None

    audit = cli.run_audit("dev", endpoint=cluster.url, verify=fakepve_cafile, known=(DEPLOY_USER,), environ={},
                          read_config=config, plan=plan_dev)  # fmt: skip
    assert asked[0] == "proxcloud-audit:token" and audit.pve_version == "9.0.10"


# ------------------------------------------------------------------------------------------- cannot audit: exit 2


def _exit2(argv: list[str], environ: dict[str, str], capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["--stack", "dev", *argv], environ=environ, read_config=lambda s, k: None) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return captured.err


def test_a_bad_endpoint_exits_2(capsys) -> None:
    err = _exit2(["--endpoint", "https://127.0.0.1:9/", "--timeout", "3"], ENV, capsys)
    assert err == (
        "error: cannot audit stack dev: cannot reach https://127.0.0.1:9/: connection refused (nothing listens there)\n"
    )


def test_a_bad_token_exits_2(cluster, fakepve_cafile, capsys) -> None:
    env = {"PROXCLOUD_AUDIT_TOKEN": f"{AUDIT_TOKEN[0]}=00000000-dead-4000-8000-000000000000"}
    err = _exit2(["--endpoint", cluster.url, "--ca-file", fakepve_cafile], env, capsys)
    assert err.startswith(f"error: cannot audit stack dev: {cluster.url} refused the audit token audit@pve!audit (401 ")
    assert "00000000-dead" not in err


def test_a_missing_privilege_exits_2(cluster, fakepve_cafile, capsys) -> None:
    for principal in AUDIT_TOKEN[0], AUDIT_TOKEN[0].split("!")[0]:
        cluster.acl[principal] = [("/", {"VM.Audit", "Pool.Audit"})]
    err = _exit2(["--endpoint", cluster.url, "--ca-file", fakepve_cafile], PVE_ONLY, capsys)
    assert err.startswith(
        "error: cannot audit stack dev: missing privilege: the audit token audit@pve!audit lacks Sys.Audit, SDN.Audit, "
        "Datastore.Audit on / (it holds Pool.Audit, VM.Audit)"
    )


def test_a_403_while_reading_exits_2(cluster, fakepve_cafile, capsys) -> None:
    cluster.fail("GET", "/cluster/ha/rules", 403, "Permission check failed (/, Sys.Audit)")
    err = _exit2(["--endpoint", cluster.url, "--ca-file", fakepve_cafile], PVE_ONLY, capsys)
    assert err == (
        "error: cannot audit stack dev: missing privilege: the audit token audit@pve!audit may not read GET "
        "cluster/ha/rules (403 Permission check failed (/, Sys.Audit)); give the token and its user PVEAuditor on / "
        "(components/audit.py plans exactly that; docs/operations.md)\n"
    )


def test_a_missing_token_exits_2(capsys) -> None:
    err = _exit2(["--endpoint", "https://127.0.0.1:9/"], {}, capsys)
    assert err.startswith("error: cannot audit stack dev: no audit token: set PROXCLOUD_AUDIT_TOKEN=")


def test_make_audit_on_a_closed_port_exits_2_without_traceback(tmp_path) -> None:
    """The documented command line, as a user runs it (a fresh process, no token in the environment)."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.audit", "--stack", "dev", "--endpoint", "https://127.0.0.1:9/"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"}, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no audit token" in done.stderr


# ------------------------------------------------------------------------------------------- read-only


def test_the_client_refuses_every_method_but_get(cluster, fakepve_cafile) -> None:
    pve = ReadOnlyPve(cluster.url, ApiToken.parse(audit_token(), "test"), verify=fakepve_cafile, timeout=5)
    before = len(cluster.requests)
    for call in (
        lambda: pve.api.nodes("pve-dev").qemu.post(vmid=999, name="x"),
        lambda: pve.api.pools("alpha").put(comment="x"),
        lambda: pve.api.access.acl.delete(path="/"),
        lambda: pve.session.request("PATCH", f"{cluster.url}/api2/json/version"),
        lambda: pve.session.request("POST", f"{cluster.url}/api2/json/access/ticket", data={"username": "root@pam"}),
    ):
        with pytest.raises(ReadOnlyViolation, match="the audit never writes to the cluster"):
            call()
    assert cluster.requests[before:] == []  # nothing left the client
    assert pve.get("version")["version"] == "9.0.10"


def test_the_token_secret_never_shows(cluster) -> None:
    token = ApiToken.parse(audit_token(), "test")
    assert AUDIT_TOKEN[1] not in repr(token)
    with pytest.raises(CannotAudit, match="not of the form"):
        ApiToken.parse("audit@pve-no-bang=xyz", "test")


def test_every_wait_is_bounded(_fakepve_pki) -> None:
    """A server that accepts and never answers: the read gives up after the timeout, with exit-2 wording."""
    import socket

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        pve = ReadOnlyPve(f"https://127.0.0.1:{port}/", ApiToken.parse(audit_token(), "t"), verify=False, timeout=0.5)
        with pytest.raises(CannotAudit, match=r"no answer within 0.5 s"):
            pve.get("version")


def test_the_fake_answers_like_pve_9s_schema(cluster, fakepve_cafile) -> None:
    """The stand-in's answers carry the fields PVE 9's schema names (and fakepve checked the parameters)."""
    from fakepve.schema import load

    base = f"{cluster.url}/api2/json"
    s = requests.Session()
    s.headers["Authorization"] = f"PVEAPIToken={audit_token()}"
    paths = load().paths
    for path, template in (
        ("access/users?full=1", "/access/users"),
        ("access/groups", "/access/groups"),
        ("access/roles", "/access/roles"),
        ("access/acl", "/access/acl"),
        ("cluster/sdn/vnets?pending=1", "/cluster/sdn/vnets"),
        ("cluster/backup", "/cluster/backup"),
    ):
        items = s.get(f"{base}/{path}", timeout=5, verify=fakepve_cafile).json()["data"]
        declared = set(paths[template]["GET"]["returns"]["items"]["properties"])
        assert items and all(set(i) <= declared for i in items), (path, [set(i) - declared for i in items])
    bad = s.get(f"{base}/nodes/pve-dev/qemu/100/rrddata?timeframe=fortnight", timeout=5, verify=fakepve_cafile)
    assert bad.status_code == 400 and "timeframe" in bad.json()["errors"]


def test_documented_in_the_readme_and_operations() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    ops = (PROJECT_DIR / "docs" / "operations.md").read_text()
    assert "make audit STACK=" in readme
    for needle in ("PROXCLOUD_AUDIT_TOKEN", "proxcloud-audit:token", "OnCalendar", "auditToken"):
        assert needle in ops, needle
    assert Path(PROJECT_DIR / "Makefile").read_text().count("tools.audit") == 1
