"""TenantStorage as planned (issue 14 findings 3, 7): each tenant's own quota-bounded ISO and disk storages in its
pool, its ACLs on them and never on a shared datastore, the cloud image in a self-service tenant's ISO storage."""

from __future__ import annotations

import subprocess

import pytest

from components.tenant_storage import dataset_script
from model.access import NEVER_GRANTED
from tools.mockengine import Recording

DIRECTORY = "proxmoxve:storage/directory:Directory"
ZFSPOOL = "proxmoxve:storage/zfspool:Zfspool"
MEMBERSHIP = "proxmoxve:pool/membership:Membership"
ACL = "proxmoxve:index/acl:Acl"
ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
CMD = "command:remote:Command"
DOWNLOAD = "proxmoxve:download/file:File"
SELF_SERVICE = {"alpha", "beta"}
TENANTS = {"alpha", "beta", "community", "hosting", "keepers"}


def test_every_tenant_has_its_own_iso_storage_and_self_service_its_disks(plan: Recording) -> None:
    isos = {d.inputs["resourceId"]: d.inputs for d in plan.by_type(DIRECTORY)}
    assert set(isos) == {f"{t}-iso" for t in TENANTS}
    for sid, d in isos.items():
        t = sid.removesuffix("-iso")
        assert d["path"] == f"/rpool/tenants/{t}/iso" and d["shared"] is False and d["createBasePath"] is False
        assert sorted(d["contents"]) == ["import", "iso", "vztmpl"]
    disks = {z.inputs["resourceId"]: z.inputs for z in plan.by_type(ZFSPOOL)}
    assert set(disks) == {f"{t}-disks" for t in SELF_SERVICE}
    for sid, z in disks.items():
        assert z["zfsPool"] == f"rpool/tenants/{sid.removesuffix('-disks')}/disks"
        assert sorted(z["contents"]) == ["images", "rootdir"] and z["thinProvision"] is True
    members = {(m.inputs["poolId"], m.inputs["storageId"]) for m in plan.by_type(MEMBERSHIP)}
    assert members == {(t, f"{t}-iso") for t in TENANTS} | {(t, f"{t}-disks") for t in SELF_SERVICE}


def test_the_dataset_has_the_quota_and_exists_before_the_storages(plan_dev: Recording) -> None:
    plan = plan_dev
    cmds = {c.name: c for c in plan.by_type(CMD) if c.name.endswith("-dataset-pve-dev")}
    assert set(cmds) == {f"{t}-storage-dataset-pve-dev" for t in TENANTS}
    assert "zfs set quota=200G rpool/tenants/alpha" in cmds["alpha-storage-dataset-pve-dev"].inputs["create"]
    assert "rpool/tenants/hosting/disks" not in cmds["hosting-storage-dataset-pve-dev"].inputs["create"]
    for storage in plan.by_type(DIRECTORY) + plan.by_type(ZFSPOOL):
        assert any(d.endswith("-dataset-pve-dev") for d in storage.dependencies), storage.name


def test_dataset_script_is_valid_bash_and_fails_when_the_iso_dataset_is_not_mounted() -> None:
    script = dataset_script("acme", 50, disks=True)
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert script.splitlines()[-1] == "mountpoint -q /rpool/tenants/acme/iso"
    assert "rpool/tenants/acme/disks" in script and "quota=50G" in script
    assert "disks" not in dataset_script("acme", 50, disks=False)


def test_acls_never_name_a_shared_datastore_and_never_grant_delegation(plan: Recording) -> None:
    paths = {a.inputs["path"] for a in plan.by_type(ACL)}
    assert not {"/storage/local-zfs", "/storage/local", "/storage/local-lvm"} & paths
    assert {f"/storage/{t}-iso" for t in TENANTS} <= paths and {"/storage/pbs-alpha", "/storage/pbs-beta"} <= paths
    for role in plan.by_type(ROLE):
        assert not set(NEVER_GRANTED) & set(role.inputs["privileges"]), role.name


@pytest.mark.parametrize("tenant", sorted(SELF_SERVICE))
def test_self_service_gets_the_cloud_image_in_its_own_storage(plan_dev: Recording, tenant: str) -> None:
    files = [f.inputs for f in plan_dev.by_type(DOWNLOAD) if f.inputs["datastoreId"] == f"{tenant}-iso"]
    assert len(files) == 1 and files[0]["contentType"] == "import" and files[0]["nodeName"] == "pve-dev"
