"""BackupPlan and HighAvailability as planned: storages, jobs, PBS jobs over SSH, protection, HA rules."""

from __future__ import annotations

import json

from tools.mockengine import Recording
from tools.plan import plan_document

PBS = "proxmoxve:storage/pbs:Pbs"
JOB = "proxmoxve:backup/job:Job"
CMD = "command:remote:Command"


def test_one_storage_and_one_pool_job_per_tenant(plan: Recording) -> None:
    storages = {s.inputs["namespace"]: s.inputs for s in plan.by_type(PBS)}
    assert set(storages) == {"alpha", "beta", "community", "hosting", "keepers"}
    for tenant, s in storages.items():
        assert s["resourceId"] == f"pbs-{tenant}" and s["password"] == "[secret]"
        assert s["generateEncryptionKey"] is True and s["contents"] == ["backup"]
        assert len(s["fingerprint"].split(":")) == 32
    jobs = {j.inputs["pool"]: j.inputs for j in plan.by_type(JOB)}
    # the pools of the guests the provider manages for a tenant (its proxy, its monitoring) have their own job,
    # same semantics, into the tenant's namespace (components/managed_pool.py)
    managed = {"alpha", "beta", "community", "keepers"}
    assert set(jobs) == set(storages) | {f"{t}-managed" for t in managed}
    for pool, j in jobs.items():
        tenant = pool.removesuffix("-managed")
        assert j["storage"] == f"pbs-{tenant}" and j["schedule"] == "*-*-* 01:30"
        assert j["mode"] == "snapshot" and j["compress"] == "zstd"
        # no mailto: vzdump's notification-mode `auto` then uses the notification system (PVE/VZDump.pm)
        assert "mailnotification" not in j and "mailtos" not in j
        assert j["pruneBackups"] == {"keep-daily": "14", "keep-weekly": "8", "keep-monthly": "12", "keep-yearly": "3"}


def test_pbs_jobs_run_over_ssh_with_secrets(plan: Recording) -> None:
    cmd = plan.one(CMD, "backup-pbs-jobs").inputs
    assert cmd["connection"] == "[secret]" and cmd["stdin"] == "[secret]"
    assert "verify-job create verify-alpha" in cmd["create"] and "prune-job remove prune-beta" in cmd["delete"]
    text = json.dumps(plan_document("proxcloud", "x", plan))
    assert "offline-placeholder" not in text


def test_prod_protects_pbs_storages(plan_prod: Recording, plan_dev: Recording) -> None:
    assert all(s.protect for s in plan_prod.by_type(PBS))
    assert not any(s.protect for s in plan_dev.by_type(PBS))


def test_ha_only_on_multi_node(plan_prod: Recording, plan_dev: Recording) -> None:
    assert plan_dev.outputs["ha"] == {"enabled": False, "reason": "single-node stack: no replication or HA planned"}
    assert not plan_dev.by_type("proxmoxve:index/harule:Harule")
    rules = {r.inputs["rule"]: r.inputs for r in plan_prod.by_type("proxmoxve:index/harule:Harule")}
    home = rules["home-3001"]
    assert home["type"] == "node-affinity" and home["resources"] == ["vm:3001"] and home["strict"] is True
    vm = plan_prod.one("proxmoxve:index/vmLegacy:VmLegacy", "hosting-verein-www-vm").inputs
    rep = plan_prod.one("proxmoxve:index/replication:Replication", "ha-verein-www-replication").inputs
    assert rep["target"] != vm["nodeName"] and rep["type"] == "local" and rep["resourceId"] == "3001-0"
    # home first, then the replica node only: a node without the guest's disks cannot start it
    assert home["nodes"] == {vm["nodeName"]: 2, rep["target"]: 1}


def test_a_password_rotation_never_replaces_a_storage(plan: Recording) -> None:
    """Issue 15 item 5: the storages take password and key at creation only; the rotation goes through a Command
    on a node (render/pbs.py storage_password_script), updated in place when the password changes."""
    for s in plan.by_type(PBS):
        assert {"password", "encryptionKey", "generateEncryptionKey"} <= set(s.options()["ignoreChanges"])
    cmd = plan.one(CMD, "backup-pbs-password")
    assert cmd.inputs["stdin"] == "[secret]" and "triggers" not in cmd.inputs
    assert all(f"pbs-{s.inputs['resourceId'][4:]}.pw" in cmd.inputs["create"] for s in plan.by_type(PBS))
    assert "triggers" not in plan.one(CMD, "backup-pbs-jobs").inputs  # the SDK replaces on triggers (item 3)


def test_ha_moves_never_replace(plan_prod: Recording) -> None:
    """Issue 15 item 6: a VM's node change migrates it; a replication job ignores the source/target swap of an HA
    migration, and its id follows its target; node-affinity rules are strict (only home and replica node)."""
    from components.ha import replication_job

    vms = plan_prod.by_type("proxmoxve:index/vmLegacy:VmLegacy")
    assert vms and all(v.inputs["migrate"] is True for v in vms)
    reps = plan_prod.by_type("proxmoxve:index/replication:Replication")
    assert reps and all(r.options()["ignoreChanges"] == ["target"] for r in reps)
    rules = [r for r in plan_prod.by_type("proxmoxve:index/harule:Harule") if r.inputs["type"] == "node-affinity"]
    assert rules and all(r.inputs["strict"] is True for r in rules)

    class G:
        vm_id, node = 3001, "pve3"

    nodes = ["pve1", "pve2", "pve3"]
    # the target moves from pve1 to the new pve4: the id must change too (on a ring of len(nodes) it would not)
    assert replication_job(G, nodes, "pve1") != replication_job(G, [*nodes, "pve4"], "pve4")  # type: ignore[arg-type]
    assert replication_job(G, [*nodes, "pve4"], "pve1") == replication_job(G, nodes, "pve1")  # type: ignore[arg-type]
