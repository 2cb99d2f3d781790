"""`make diff`: the classifier on small hand-built plans (each step kind, each hazard kind, unknowns through
dependencies, secret digests), then the whole tool on working-tree changes in a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.stacks import with_fixture_inputs
from tools.mockengine import PROJECT_DIR
from tools.preview import (
    CBD,
    COMMAND_DELETE_UNDOES_CREATE,
    CREATE,
    DBR,
    DELETE,
    FIXED_ID_CBD,
    GUEST_REPLACED,
    PROTECTED_DELETE,
    PROTECTED_REPLACE,
    REPLACE,
    SAME,
    UPDATE,
    Preview,
    classify,
    render,
)
from tools.replace_rules import (
    APPLIER,
    COMMAND,
    CT,
    FILE,
    IPSET,
    PASSWORD,
    PBS,
    SUBNET,
    VM,
    VNET,
    VNET_FIREWALL,
)

OPTIONS = {
    "deleteBeforeReplace": None,
    "replaceOnChanges": [],
    "ignoreChanges": [],
    "retainOnDelete": False,
    "deletedWith": None,
    "aliases": 0,
    "replacementTrigger": None,
    "propertyDependencies": {},
}


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:t::proxcloud::{type_}::{name}"


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    *,
    protect: bool = False,
    custom: bool = True,
    options: dict[str, Any] | None = None,
    computed: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One resource as tools.plan writes it."""
    return {
        "urn": urn(type_, name),
        "type": type_,
        "name": name,
        "custom": custom,
        "parent": None,
        "provider": None,
        "protect": protect,
        "dependencies": sorted({u for us in (computed or {}).values() for u in us}),
        "inputs": inputs,
        "options": {**OPTIONS, **(options or {})},
        "computedInputs": computed or {},
    }


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"project": "proxcloud", "stack": "t", "resources": list(resources), "outputs": {}}


def vm(name: str = "web", protect: bool = False, **changes: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "name": name,
        "vmId": 101,
        "nodeName": "pve1",
        "memory": {"dedicated": 2048},
        "disks": [{"interface": "scsi0", "importFrom": "local:import/debian.qcow2", "size": 20}],
        "initialization": {"userDataFileId": f"local:snippets/{name}.yaml", "ipConfigs": [{"ipv4": {"address": "a"}}]},
    }
    inputs.update(changes)
    snippet, image, applier = (
        urn(FILE, f"{name}-user-data"),
        urn("proxmoxve:download/file:File", "img"),
        urn(APPLIER, "a"),
    )
    computed = {"initialization.userDataFileId": [snippet], "disks[0].importFrom": [applier, image]}
    return res(VM, f"{name}-vm", inputs, protect=protect, computed=computed)


def snippet(name: str = "web", data: str = "[secret:" + "1" * 64 + "]") -> dict[str, Any]:
    return res(
        FILE,
        f"{name}-user-data",
        {
            "nodeName": "pve1",
            "datastoreId": "local",
            "contentType": "snippets",
            "sourceRaw": {"fileName": f"{name}.yaml", "data": data},
        },
    )


def applier(trigger: str | None = "d1") -> dict[str, Any]:
    return res(APPLIER, "a", {}, options={"replacementTrigger": trigger})


def pbs(password: str = "[secret:" + "a" * 64 + "]", protect: bool = False, **changes: Any) -> dict[str, Any]:
    inputs = {"resourceId": "pbs-alpha", "server": "pbs", "datastore": "ds", "password": password, **changes}
    return res(PBS, "alpha-storage", inputs, protect=protect)


def step_ops(preview: Preview) -> dict[str, str]:
    return {s.name: s.op for s in preview.steps}


def kinds(preview: Preview) -> set[tuple[str, str]]:
    return {h.key for h in preview.hazards}


# ------------------------------------------------------------------------------------------ step kinds


def test_same_plans_change_nothing() -> None:
    base = plan(applier(), snippet(), vm())
    preview = classify(base, base)
    assert set(step_ops(preview).values()) == {SAME} and not preview.hazards


def test_create_update_delete() -> None:
    base = plan(vm(), pbs())
    head = plan(vm(memory={"dedicated": 4096}), res(PASSWORD, "new-password", {"length": 24}))
    preview = classify(base, head)
    assert step_ops(preview) == {"web-vm": UPDATE, "new-password": CREATE, "alpha-storage": DELETE}
    assert preview.step("web-vm").changed == ["memory.dedicated"]
    assert not preview.hazards


def test_replace_create_before_delete_and_delete_before_replace() -> None:
    ipset = {"name": "management", "cidrs": [{"name": "192.0.2.0/28"}]}
    base = plan(res(PASSWORD, "p", {"length": 24}), res(IPSET, "mgmt", ipset))
    head = plan(
        res(PASSWORD, "p", {"length": 32}),  # pulumi-random: every input replaces
        res(IPSET, "mgmt", {**ipset, "cidrs": [*ipset["cidrs"], {"name": "192.0.2.16/28"}]}),
    )
    preview = classify(base, head)
    assert (preview.step("p").op, preview.step("p").mode) == (REPLACE, CBD)
    # bpg ipset.go cidr ForceNew; an explicitly named autonamed resource: the bridge deletes first
    assert (preview.step("mgmt").op, preview.step("mgmt").mode) == (REPLACE, DBR)
    assert any("ipset.go" in r for r in preview.step("mgmt").reasons)
    assert not preview.hazards


def test_the_program_option_overrides_the_provider() -> None:
    base = plan(pbs())
    head = plan(res(PBS, "alpha-storage", {**pbs()["inputs"], "server": "pbs2"}, options={"deleteBeforeReplace": True}))
    preview = classify(base, head)
    assert preview.step("alpha-storage").mode == DBR and not preview.hazards


# ------------------------------------------------------------------------------------------ hazards


def test_protected_replace_and_its_twins() -> None:
    base = plan(vm(protect=True))
    preview = classify(base, plan(vm(protect=True, vmId=102)))
    assert kinds(preview) == {(PROTECTED_REPLACE, "web-vm"), (GUEST_REPLACED, "web-vm")}
    # twin: unprotected in the same run is allowed by the engine (new.Protect && old.Protect) - still a guest
    assert kinds(classify(base, plan(vm(protect=False, vmId=102)))) == {(GUEST_REPLACED, "web-vm")}
    # twin: an in-place change of a protected guest is no hazard
    assert not classify(base, plan(vm(protect=True, memory={"dedicated": 8192}))).hazards


def test_protected_delete() -> None:
    preview = classify(plan(pbs(protect=True), applier()), plan(applier()))
    assert kinds(preview) == {(PROTECTED_DELETE, "alpha-storage")}
    assert not classify(plan(pbs(), applier()), plan(applier())).hazards


def test_fixed_id_create_before_delete_and_its_twin() -> None:
    preview = classify(plan(pbs()), plan(pbs(password="[secret:" + "b" * 64 + "]")))
    assert kinds(preview) == {(FIXED_ID_CBD, "alpha-storage")}
    assert "password changes" in preview.step("alpha-storage").reasons[0]
    # twin: a new storage id is a new object; create-before-delete is fine
    assert not classify(plan(pbs()), plan(pbs(resourceId="pbs-alpha2"))).hazards


def test_a_command_whose_delete_undoes_its_create() -> None:
    def command(trigger: str, delete: str | None = "remove-jobs", dbr: bool | None = None) -> dict[str, Any]:
        inputs = {"create": "write-jobs", "triggers": [trigger], **({"delete": delete} if delete else {})}
        return res(COMMAND, "jobs", inputs, options={"replaceOnChanges": ["triggers[*]"], "deleteBeforeReplace": dbr})

    preview = classify(plan(command("t1")), plan(command("t2")))
    assert preview.step("jobs").mode == CBD
    assert kinds(preview) == {(COMMAND_DELETE_UNDOES_CREATE, "jobs")}
    assert "replaceOnChanges 'triggers[*]'" in preview.step("jobs").reasons[0]
    # twins: no delete to undo anything; delete-before-replace runs the delete first
    assert not classify(plan(command("t1", None)), plan(command("t2", None))).hazards
    assert not classify(plan(command("t1", dbr=True)), plan(command("t2", dbr=True))).hazards
    # no trigger change: an update
    assert (
        classify(plan(command("t1")), plan({**command("t1"), "inputs": {**command("t1")["inputs"], "create": "x"}}))
        .step("jobs")
        .op
        == UPDATE
    )


def test_guest_replaced_container_template() -> None:
    ct = {"vmId": 5031, "nodeName": "pve1", "operatingSystem": {"templateFileId": "local:vztmpl/a.tar.zst"}}
    head = {**ct, "operatingSystem": {"templateFileId": "local:vztmpl/b.tar.zst"}}
    preview = classify(plan(res(CT, "wp", ct)), plan(res(CT, "wp", head)))
    # containers are not autonamed: create-before-delete under the same vm id
    assert kinds(preview) == {(GUEST_REPLACED, "wp"), (FIXED_ID_CBD, "wp")}


# ------------------------------------------------------------------------------------------ unknowns


def test_unknown_through_dependencies_replaces_the_guest() -> None:
    """A changed user data replaces the snippet; its id is unknown at preview, and the VM's
    initialization.userDataFileId forces a replacement (bpg vm.go)."""
    base = plan(applier(), snippet(), vm())
    head = plan(applier(), snippet(data="[secret:" + "2" * 64 + "]"), vm())
    preview = classify(base, head)
    assert step_ops(preview) == {"a": SAME, "web-user-data": REPLACE, "web-vm": REPLACE}
    assert preview.step("web-vm").unknown == ["initialization.userDataFileId"]
    assert "unknown at preview" in preview.step("web-vm").reasons[0]
    assert kinds(preview) == {(FIXED_ID_CBD, "web-user-data"), (GUEST_REPLACED, "web-vm")}
    assert preview.step("web-vm").mode == DBR  # an explicitly named VM


def test_unknown_in_an_input_that_does_not_force_new_is_an_update() -> None:
    """The SDN applier replaced (its trigger changed): the image id the VM imports from is unknown, which bpg
    ignores after creation (disk import_from, not ForceNew): an update, no hazard. A container's template id is
    replace-forcing: replaced."""
    applier_urn = urn(APPLIER, "a")
    ct_inputs = {"vmId": 5031, "nodeName": "pve1", "operatingSystem": {"templateFileId": "local:vztmpl/a"}}
    ct = res(CT, "wp", ct_inputs, computed={"operatingSystem.templateFileId": [applier_urn]})
    preview = classify(plan(applier("d1"), snippet(), vm(), ct), plan(applier("d2"), snippet(), vm(), ct))
    assert preview.step("a").op == REPLACE and preview.step("a").reasons == ["the replacementTrigger changes"]
    assert preview.step("web-vm").op == UPDATE and preview.step("web-vm").unknown == ["disks[0].importFrom"]
    assert preview.step("wp").op == REPLACE
    assert kinds(preview) == {(GUEST_REPLACED, "wp"), (FIXED_ID_CBD, "wp")}
    # twin: the same trigger, nothing unknown, nothing to do
    assert set(step_ops(classify(plan(applier(), vm(), ct), plan(applier(), vm(), ct))).values()) == {SAME}


def test_delete_before_replace_cascades_to_dependents() -> None:
    """The engine deletes, with a resource replaced delete-first, every dependent whose replace-forcing inputs
    depend on it - even when the value is an echo (known) - and recreates it."""
    vnet = lambda alias: res(VNET, "web", {"resourceId": "web", "alias": alias}, options={"deleteBeforeReplace": True})  # noqa: E731
    subnet = res(
        SUBNET,
        "web-subnet",
        {"vnet": "web", "cidr": "10.0.0.0/24"},
        options={"propertyDependencies": {"vnet": [urn(VNET, "web")]}},
    )
    base = plan({**vnet("a"), "inputs": {"resourceId": "web"}}, subnet)
    head = plan({**vnet("a"), "inputs": {"resourceId": "web2"}}, subnet)
    preview = classify(base, head)
    assert preview.step("web").mode == DBR
    assert (preview.step("web-subnet").op, preview.step("web-subnet").mode) == (REPLACE, DBR)
    assert "delete-before-replace of a dependency" in preview.step("web-subnet").reasons[0]


# ------------------------------------------------------------------------------------------ secrets


def test_a_secret_change_shows_as_a_digest_change_without_its_value() -> None:
    preview = classify(plan(snippet(data="[secret:" + "1" * 64 + "]")), plan(snippet(data="[secret:" + "2" * 64 + "]")))
    assert preview.step("web-user-data").changed == ["sourceRaw.data"]
    text = render(preview)
    assert "sourceRaw" in text and "1111" not in text and "2222" not in text
    # twin: the same digest is no change
    assert classify(plan(snippet()), plan(snippet())).step("web-user-data").op == SAME


def test_undigested_secrets_cannot_be_compared_and_say_so() -> None:
    preview = classify(plan(pbs(password="[secret]")), plan(pbs(password="[secret:" + "b" * 64 + "]")))
    assert preview.step("alpha-storage").op == SAME
    assert any("could not be compared" in w for w in preview.warnings)


# ------------------------------------------------------------------------------------------ rules, options


def test_node_name_replaces_a_vm_unless_it_migrates() -> None:
    assert classify(plan(vm()), plan(vm(nodeName="pve2"))).step("web-vm").op == REPLACE
    assert classify(plan(vm()), plan(vm(nodeName="pve2", migrate=True))).step("web-vm").op == UPDATE


def test_a_container_disk_only_grows() -> None:
    ct = lambda size: res(CT, "c", {"vmId": 1, "nodeName": "n", "disk": {"datastoreId": "z", "size": size}})  # noqa: E731
    assert classify(plan(ct(8)), plan(ct(16))).step("c").op == UPDATE
    assert classify(plan(ct(16)), plan(ct(8))).step("c").op == REPLACE


def test_dynamic_provider_decides_with_its_own_diff() -> None:
    def fw(vnet: str, token: str) -> dict[str, Any]:
        inputs = {"vnet": vnet, "endpoint": "https://pve:8006", "api_token": token, "rules": [], "options": {}}
        return res(VNET_FIREWALL, "fw", {**inputs, "__provider": "[secret]"})

    rotated = classify(plan(fw("web", "[secret:" + "1" * 64 + "]")), plan(fw("web", "[secret:" + "2" * 64 + "]")))
    assert rotated.step("fw").op == UPDATE  # the token is an update of stored state (VnetFirewallProvider.diff)
    moved = classify(plan(fw("web", "[secret:" + "1" * 64 + "]")), plan(fw("db", "[secret:" + "1" * 64 + "]")))
    assert moved.step("fw").op == REPLACE and moved.step("fw").mode == CBD and not moved.hazards


def test_targeted_replace_and_ignore_changes() -> None:
    token = res("proxmoxve:user/token:Token", "tok", {"userId": "m@pve", "tokenName": "telegraf"})
    preview = classify(plan(token), plan(token), replace=["tok"])
    assert preview.step("tok").reasons == ["targeted with --replace"]
    assert kinds(preview) == {(FIXED_ID_CBD, "tok")}
    ignored = res(PBS, "alpha-storage", {**pbs()["inputs"], "server": "other"}, options={"ignoreChanges": ["server"]})
    assert classify(plan(pbs()), plan(ignored)).step("alpha-storage").op == SAME


def test_render_is_a_preview_tree_with_a_summary() -> None:
    component = res("proxcloud:index:Tenant", "alpha", {"pool": "alpha"}, custom=False)
    child = {**pbs(protect=True), "parent": component["urn"]}
    head_child = {**pbs(password="[secret:" + "b" * 64 + "]", protect=True), "parent": component["urn"]}
    text = render(classify(plan(component, child), plan(component, head_child)), "Previewing update (t)")
    assert "proxcloud:index:Tenant" in text and "└─ proxmoxve:storage/pbs:Pbs" in text
    assert "+- 1 to replace" in text and "1 changes. 1 unchanged" in text
    assert "protected-replace: alpha-storage" in text and "fixed-id-create-before-delete: alpha-storage" in text


# ------------------------------------------------------------------------------------------ the whole tool


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary git repository holding the project as it is now (a copy of the working tree committed as HEAD,
    so the tool under test is the current one; `git clone` would test the last commit's)."""
    dst = tmp_path_factory.mktemp("diff") / "project"
    shutil.copytree(
        PROJECT_DIR,
        dst,
        ignore=shutil.ignore_patterns(".venv", ".git", ".cache", "build", "node_modules", "*.pyc", ".pytest_cache"),
    )
    with_fixture_inputs(dst)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *command], cwd=dst, env=env, check=True, capture_output=True)
    return dst


def run_diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    return subprocess.run(
        [sys.executable, "-m", "tools.diff", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def reset(repo: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=repo, check=True)


@pytest.mark.slow
def test_make_diff_flags_a_protected_replace_on_a_humhub_vm_id(repo: Path) -> None:
    """prod: a new VM id for the protected HumHub VM (`vm_id` ForceNew) replaces it - `pulumi preview` would stop
    with the protection error. (A HumHub setting no longer does: user data is first-boot input, components/vm.py.)"""
    edit(
        repo / "tenants" / "community.yaml",
        "address: 10.10.10.6\n      vm_id: mirror",
        "address: 10.10.10.6\n      vm_id: 1010166",
    )
    try:
        result = subprocess.run(
            ["make", "-o", ".venv/.installed", "diff", f"PY={sys.executable}", "BASE=HEAD", "STACK=prod"],
            cwd=repo,
            env={**os.environ, "PYTHONPATH": str(repo)},
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        reset(repo)
    # make exits 2 whenever a recipe fails; it names the tool's own exit code (1: hazards)
    assert result.returncode == 2 and "diff] Error 1" in result.stderr, result.stdout + result.stderr
    out = result.stdout
    assert "Previewing update (prod), offline: BASE HEAD" in out
    assert "protected-replace: community-humhub-humhub-vm" in out
    assert "vmId changes" in out


@pytest.mark.slow
def test_diff_flags_a_fixed_id_create_before_delete_on_a_pbs_password(repo: Path) -> None:
    """Twin of the fix of issue 15 item 5: without `ignore_changes` on the password, a rotation replaces every
    storage under its fixed id, protected in prod (and with it, as shipped, the diff is clean)."""
    clean = run_diff(repo, "--stack", "prod", "--rotate", "proxcloud:pbsPassword")
    assert clean.returncode == 0 and "backup-pbs-password" in clean.stdout, clean.stdout + clean.stderr
    edit(repo / "components" / "backup.py", 'ignore_changes=["password", ', "ignore_changes=[")
    try:
        result = run_diff(repo, "--stack", "prod", "--rotate", "proxcloud:pbsPassword")
    finally:
        reset(repo)
    assert result.returncode == 1, result.stdout + result.stderr
    for tenant in ("alpha", "beta", "community", "hosting", "keepers"):
        assert f"fixed-id-create-before-delete: backup-{tenant}-storage" in result.stdout
        assert f"protected-replace: backup-{tenant}-storage" in result.stdout
    assert "password changes" in result.stdout and "offline-placeholder" not in result.stdout


@pytest.mark.slow
def test_diff_of_a_harmless_change_shows_only_updates(repo: Path) -> None:
    edit(
        repo / "tenants" / "alpha.yaml",
        "description: Tenant 1 of the provider course project (self-service)",
        "description: Tenant 1 (self-service)",
    )
    try:
        result = run_diff(repo, "--stack", "prod")
    finally:
        reset(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "~  1 to update" in result.stdout and "No hazards." in result.stdout
    assert "alpha-pool" in result.stdout and "[diff: ~comment]" in result.stdout
    assert "to replace" not in result.stdout and "to delete" not in result.stdout


@pytest.mark.slow
def test_diff_cannot_diff_a_bad_base_or_a_failing_plan(repo: Path) -> None:
    bad = run_diff(repo, "--base", "no-such-rev", "--stack", "dev")
    assert bad.returncode == 2 and "BASE 'no-such-rev' is not a commit" in bad.stderr
    (repo / "tenants" / "broken.yaml").write_text("name: broken\nnumber: 9\naccess: admin\nzone: {id: brk}\n")
    try:
        failing = run_diff(repo, "--stack", "dev")
    finally:
        (repo / "tenants" / "broken.yaml").unlink()
    assert failing.returncode == 2, failing.stdout + failing.stderr
    assert "cannot plan the working tree" in failing.stderr
    assert "tenants/broken.yaml: access: Input should be 'operator' or 'self-service'" in failing.stderr
    assert "Traceback" not in failing.stderr
