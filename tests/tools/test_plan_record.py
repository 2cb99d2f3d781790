"""The plan records what the engine is told (resource options), which inputs carry computed outputs, and a
secret's change as a keyed digest that never reveals it."""

from __future__ import annotations

import json
import re

import pytest

from tools.mockengine import REDACTED, Recording, is_secret, run_program
from tools.plan import offline_config, plan_document, record_plan

pytestmark = pytest.mark.slow  # the program planned again per key and rotation

VM = "proxmoxve:index/vmLegacy:VmLegacy"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
APPLIER = "proxmoxve:sdn/applier:Applier"
DOWNLOAD = "proxmoxve:download/file:File"
OPTION_KEYS = {
    "deleteBeforeReplace",
    "replaceOnChanges",
    "ignoreChanges",
    "retainOnDelete",
    "deletedWith",
    "aliases",
    "replacementTrigger",
    "propertyDependencies",
}
DIGEST = re.compile(r"\[secret:[0-9a-f]{64}\]")


@pytest.fixture(scope="module")
def marked() -> Recording:
    return record_plan("dev", digest_key=b"test-key")


def test_every_resource_records_its_options(plan_dev: Recording) -> None:
    doc = plan_document("proxcloud", "dev", plan_dev)
    for r in doc["resources"]:
        assert set(r["options"]) == OPTION_KEYS, r["name"]
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["backup-pbs-jobs"]["options"]["replaceOnChanges"] == ["triggers[*]"]  # pulumi-command's SDK
    assert re.fullmatch(r"[0-9a-f]{64}", by_name["sdn-applier"]["options"]["replacementTrigger"])
    # the finalizer is replaced with the applier: its old copy's delete applies removals (issue 15 item 4)
    assert (
        by_name["sdn-finalizer"]["options"]["replacementTrigger"]
        == by_name["sdn-applier"]["options"]["replacementTrigger"]
    )
    assert by_name["community-humhub-humhub-vm"]["options"]["deleteBeforeReplace"] is None  # left to the provider
    snippet = plan_dev.one(FILE, "community-humhub-humhub-user-data").urn
    assert by_name["community-humhub-humhub-vm"]["options"]["propertyDependencies"]["initialization"] == [snippet]


def test_trigger_digest_follows_the_sdn_spec() -> None:
    """Twin of the digest above: another SDN spec gives another trigger digest, the same spec the same one."""
    base = run_program("dev").one(APPLIER, "sdn-applier").options()["replacementTrigger"]
    again = run_program("dev").one(APPLIER, "sdn-applier").options()["replacementTrigger"]
    config = offline_config("dev")
    underlay = json.loads(config["proxcloud:underlay"])
    config["proxcloud:underlay"] = json.dumps({**underlay, "mtu": 9000})
    changed = run_program("dev", config=config).one(APPLIER, "sdn-applier").options()["replacementTrigger"]
    assert base == again and changed != base


def test_computed_inputs_name_the_resources_they_come_from(marked: Recording) -> None:
    vm = marked.one(VM, "community-humhub-humhub-vm")
    snippet = marked.one(FILE, "community-humhub-humhub-user-data").urn
    applier = marked.one(APPLIER, "sdn-applier").urn
    image = marked.one(DOWNLOAD, "debian12-pve-dev").urn
    assert vm.computed_inputs["initialization.userDataFileId"] == [snippet]
    # the guest waits for the SDN apply through the download's dependency, not an input: only the image's id
    assert vm.computed_inputs["disks[0].importFrom"] == [image]
    assert applier not in {u for urns in vm.computed_inputs.values() for u in urns}
    assert not any(k.startswith(("initialization.ipConfigs", "name", "vmId")) for k in vm.computed_inputs)
    acl = marked.resources[[r.type for r in marked.resources].index("proxmoxve:index/acl:Acl")]
    assert acl.computed_inputs == {}, "role_id/group_id echo inputs: known at preview"
    users = marked.by_type("proxmoxve:index/userLegacy:UserLegacy")
    with_password = [u for u in users if "password" in u.inputs]  # monitoring and audit users have none
    assert with_password and all(list(u.computed_inputs) == ["password"] for u in with_password)
    assert all(u.computed_inputs == {} for u in users if "password" not in u.inputs)


def test_marking_leaves_the_plan_unchanged(plan_dev: Recording) -> None:
    """The markers are stripped again: a marked plan is the unmarked one plus `computedInputs`."""
    marked_doc = plan_document("proxcloud", "dev", record_plan("dev"))
    plain_doc = plan_document("proxcloud", "dev", plan_dev)
    for r in marked_doc["resources"] + plain_doc["resources"]:
        r.pop("computedInputs")
    # registration order follows the SDK's thread pool: compare by URN
    assert {r["urn"]: r for r in marked_doc["resources"]} == {r["urn"]: r for r in plain_doc["resources"]}
    assert marked_doc["outputs"] == plain_doc["outputs"]
    assert "QqZ" not in json.dumps(marked_doc) and "d1ce" not in json.dumps(marked_doc)


def test_secrets_as_keyed_digests(marked: Recording) -> None:
    users = "proxmoxve:index/userLegacy:UserLegacy"
    digests = {u.name: u.inputs["password"] for u in marked.by_type(users) if "password" in u.inputs}
    assert all(DIGEST.fullmatch(d) and is_secret(d) for d in digests.values())
    assert len(set(digests.values())) == len(digests), "different passwords, different digests"
    text = json.dumps(plan_document("proxcloud", "dev", marked))
    assert "mock-password-" not in text and "offline-placeholder-" not in text
    again = record_plan("dev", digest_key=b"test-key").by_type(users)
    assert {u.name: u.inputs["password"] for u in again if "password" in u.inputs} == digests, "one key: one digest"


def test_a_rotated_secret_changes_its_digest_only(marked: Recording) -> None:
    rotated = record_plan("dev", rotate=["proxcloud:pbsPassword"], digest_key=b"test-key")
    pbs = "proxmoxve:storage/pbs:Pbs"
    before = {r.name: r.inputs["password"] for r in marked.by_type(pbs)}
    after = {r.name: r.inputs["password"] for r in rotated.by_type(pbs)}
    assert before.keys() == after.keys() and all(before[k] != after[k] for k in before)
    users = "proxmoxve:index/userLegacy:UserLegacy"
    assert {u.name: u.inputs for u in marked.by_type(users)} == {u.name: u.inputs for u in rotated.by_type(users)}


def test_another_key_another_digest_and_no_key_the_marker(marked: Recording, plan_dev: Recording) -> None:
    """Twin: the digest depends on the key (so a published plan cannot be matched against guesses without it),
    and without a key every secret is "[secret]" as before."""
    other = record_plan("dev", digest_key=b"another-key")
    name = "alpha-user-anna.schmidt"
    ours = next(u for u in marked.resources if u.name == name).inputs["password"]
    theirs = next(u for u in other.resources if u.name == name).inputs["password"]
    assert ours != theirs and DIGEST.fullmatch(theirs)
    assert next(u for u in plan_dev.resources if u.name == name).inputs["password"] == REDACTED


def test_the_sdn_fingerprint_covers_the_provider_edge(spec_dev) -> None:
    """Issue 15 item 4: the provider's transit zone and VNet are SDN objects too; a change of them re-applies."""
    import dataclasses

    from components.sdn import sdn_fingerprint

    base = sdn_fingerprint(spec_dev)
    assert json.loads(base)["edge"] == {"zone": "provider", "mtu": 1450, "vnet": ["transit", 999000, True]}
    e = spec_dev.settings.edge
    moved = dataclasses.replace(
        spec_dev, settings=spec_dev.settings.model_copy(update={"edge": e.model_copy(update={"transit_vni": 999001})})
    )
    assert sdn_fingerprint(moved) != base
