"""The spec layer: shipped input loads; every kind of bad input fails with a message naming file and field."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from model.errors import SpecError
from model.models import AccessProfile
from tests.support.model_inputs import CFG, CONFIG, load, tenant
from tests.support.stacks import FIXTURE_PROJECT, load_stack_spec
from tools.mockengine import PROJECT_DIR


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_load(stack: str) -> None:
    """The user's own stacks and tenant files (whatever they hold): each stack loads the tenants it selects."""
    p = load_stack_spec(stack, PROJECT_DIR)
    selected = p.settings.tenants or [f.stem for f in (PROJECT_DIR / p.settings.tenants_dir).glob("*.yaml")]
    assert p.tenants and {t.name for t in p.tenants} == set(selected)


def test_fixture_stacks_load_setups_a_to_d() -> None:
    for stack in ("dev", "prod"):
        assert {t.name for t in load_stack_spec(stack).tenants} == {"alpha", "beta", "community", "hosting", "keepers"}


def test_setup_d_networks_and_accounts_exactly() -> None:
    p = {t.name: t for t in load_stack_spec("prod").tenants}
    assert [str(v.cidr) for v in p["alpha"].vnets] == ["192.168.10.0/24", "192.168.20.0/24"]
    assert [str(v.cidr) for v in p["beta"].vnets] == ["192.168.30.0/24", "192.168.40.0/24"]
    for name in ("alpha", "beta"):
        assert p[name].access is AccessProfile.SELF_SERVICE
        assert len(p[name].users) == 1 and "." in p[name].users[0].name
        assert all(v.mtu == 1450 for v in p[name].vnets)
    assert p["hosting"].access is AccessProfile.OPERATOR


def test_defaults_are_allocated(tmp_path: Path) -> None:
    t = load(tmp_path, [tenant(number=7)]).tenants[0]
    assert [v.vni for v in t.vnets] == [701, 702]
    assert [str(v.gateway) for v in t.vnets] == ["192.168.10.1", "192.168.11.1"]
    assert t.zone_mtu == 1450


def test_allocation_is_deterministic_and_stable_when_tenants_are_added(tmp_path: Path) -> None:
    first = load(tmp_path, [tenant("acme", 1, 10)])
    again = load(tmp_path, [tenant("acme", 1, 10)])
    assert first.tenants == again.tenants
    grown = load(tmp_path, [tenant("aaa", 2, 50), tenant("mmm", 3, 60)], keep=True)
    acme = next(t for t in grown.tenants if t.name == "acme")
    assert acme == dataclass_with_source(first.tenants[0], acme.source)


def dataclass_with_source(t: Any, source: str) -> Any:
    import dataclasses

    return dataclasses.replace(t, source=source)


def _mutate(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = data
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return data


# (case id, tenant-file mutation path, value, expected message fragment naming the field)
BAD_TENANT_FIELDS = [
    ("unknown-key", "vnetz", [], r"acme\.yaml: vnetz: unknown key"),
    ("unknown-access-profile", "access", "admin", r"access: Input should be 'operator' or 'self-service'"),
    ("zone-id-too-long", "zone.id", "verylongzone", r"zone\.id: 'verylongzone' is not a valid PVE SDN id"),
    ("zone-id-digit-first", "zone.id", "1zone", r"zone\.id: '1zone' is not a valid PVE SDN id"),
    ("vnet-id-hyphen", "vnets.0.id", "web-1", r"vnets\[0\]\.id: 'web-1' is not a valid PVE SDN id"),
    ("vnet-id-one-char", "vnets.0.id", "w", r"vnets\[0\]\.id: 'w' is not a valid PVE SDN id"),
    ("vni-zero", "vnets.0.vni", 0, r"vnets\[0\]\.vni: Input should be greater than or equal to 1"),
    ("vni-too-big", "vnets.0.vni", 16777216, r"vnets\[0\]\.vni: Input should be less than or equal to 16777215"),
    (
        "gateway-outside",
        "vnets.0.gateway",
        "10.0.0.1",
        r"vnets\[0\]\.gateway: gateway 10\.0\.0\.1 is not a host address",
    ),
    ("gateway-network-address", "vnets.0.gateway", "192.168.10.0", r"gateway 192\.168\.10\.0 is not a host"),
    ("cidr-host-bits", "vnets.0.cidr", "192.168.10.5/24", r"vnets\[0\]\.cidr: .*host bits"),
    ("cidr-not-a-network", "vnets.0.cidr", "web", r"vnets\[0\]\.cidr: "),
    ("cidr-too-small", "vnets.0.cidr", "192.168.10.0/31", r"leaves no room for a gateway"),
    ("mtu-over-underlay", "zone.mtu", 1460, r"zone\.mtu: 1460 is more than the underlay MTU 1500 minus 50"),
    (
        "user-not-first-last",
        "users.0.name",
        "Admin",
        r"users\[0\]\.name: 'Admin' is not a valid account name \(fix: use firstname\.lastname",
    ),
    ("bad-email", "users.0.email", "nobody", r"users\[0\]\.email: 'nobody' is not a valid e-mail address"),
    (
        "bad-tenant-name",
        "name",
        "Acme_Corp",
        r"name: 'Acme_Corp' is not a valid tenant name \(fix: use 2-24 lower-case",
    ),
    ("tenant-number-zero", "number", 0, r"number: Input should be greater than or equal to 1"),
    ("bad-storage-id", "storages.0", "Local_ZFS", r"storages\[0\]: 'Local_ZFS' is not a valid PVE storage id"),
    (
        "shared-platform-storage",
        "storages.0",
        "local-zfs",
        r"storages\[0\]: local-zfs is a datastore the platform shares .*\(fix: remove it: the tenant gets its own",
    ),
    ("quota-zero", "storage_quota_gb", 0, r"storage_quota_gb: Input should be greater than or equal to 1"),
    ("vnet-named-like-bridge", "vnets.0.id", "vmbr0", r"vnets\[0\]\.id: 'vmbr0' is the public bridge's name"),
    ("cidr-overlaps-underlay", "vnets.0.cidr", "10.99.0.0/25", r"overlaps 10\.99\.0\.0/24 of Pulumi\.dev\.yaml"),
    ("vnets-overlap-inside", "vnets.1.cidr", "192.168.10.128/25", r"192\.168\.10\.128/25 overlaps 192\.168\.10\.0/24"),
    (
        "vnet-alias-colon",
        "vnets.0.description",
        "web: tier",
        r"vnets\[0\]\.description: 'web: tier' is not a valid VNet description",
    ),
    (
        "vnet-alias-comma",
        "vnets.0.description",
        "web, db",
        r"vnets\[0\]\.description: 'web, db' is not a valid VNet description",
    ),
    (
        "vnet-alias-too-long",
        "vnets.0.description",
        "w" * 257,
        r"vnets\[0\]\.description: 'w+\.\.\.' \(257 characters\) is not a valid VNet description",
    ),
    ("duplicate-vnet-inside", "vnets.1.id", "acmewe", None),
]


@pytest.mark.parametrize(
    ("case", "field", "value", "message"), BAD_TENANT_FIELDS, ids=[c[0] for c in BAD_TENANT_FIELDS]
)
def test_bad_tenant_field(tmp_path: Path, case: str, field: str, value: Any, message: str | None) -> None:
    data = tenant()
    if case == "duplicate-vnet-inside":
        data["vnets"][1]["id"] = data["vnets"][0]["id"]
        message = r"vnets\[1\]\.id: VNet id acmeweb is already used by tenants/acme\.yaml \(vnets\[0\]\.id\)"
    else:
        data = _mutate(data, field, value)
    with pytest.raises(SpecError, match=message) as info:
        load(tmp_path, [data])
    assert "tenants/" in str(info.value) or "Pulumi.dev.yaml" in str(info.value)


def test_missing_required_field(tmp_path: Path) -> None:
    data = tenant()
    del data["zone"]
    with pytest.raises(SpecError, match=r"acme\.yaml: zone: is required"):
        load(tmp_path, [data])


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (tenant("acme", 2, 50), r"tenants/t1\.yaml: name: tenant acme is in a file named t1\.yaml"),
        (tenant("other", 1, 50), r"tenant number 1 is already used by tenants/acme\.yaml"),
        (tenant("other", 2, 50, zone={"id": "acme"}), r"zone\.id: zone id acme is already used"),
        (
            tenant("other", 2, 50, vnets=[{"id": "acmeweb", "cidr": "192.168.50.0/24"}]),
            r"vnets\[0\]\.id: VNet id acmeweb is already used",
        ),
        (
            tenant("other", 2, 50, vnets=[{"id": "othweb", "cidr": "192.168.50.0/24", "vni": 101}]),
            r"vnets\[0\]\.vni: VNI 101 is already used by tenants/acme\.yaml \(vnets\[0\]\.vni\)",
        ),
        (tenant("other", 2, 11), r"192\.168\.11\.0/24 overlaps 192\.168\.11\.0/24|overlaps"),
    ],
    ids=["dup-name", "dup-number", "dup-zone", "dup-vnet", "dup-vni", "overlapping-cidrs"],
)
def test_rules_across_tenants(tmp_path: Path, other: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant("acme", 1, 10), other])


def test_one_person_in_two_tenants_is_refused(tmp_path: Path) -> None:
    shared = [{"name": "ada.lovelace"}]
    with pytest.raises(
        SpecError, match=r"tenants/other\.yaml: users\[0\]\.name: user ada\.lovelace@pve is already used"
    ):
        load(tmp_path, [tenant("acme", 1, 10, users=shared), tenant("other", 2, 20, users=shared)])


def test_distinct_people_in_two_tenants_load(tmp_path: Path) -> None:
    """Twin: the rule above keys on the user id, not on having users at all."""
    p = load(tmp_path, [tenant("acme", 1, 10), tenant("other", 2, 20)])
    assert [u.user_id for t in p.tenants for u in t.users] == ["ada.acme@pve", "ada.other@pve"]


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"tenants/bad\.yaml: line 2: is not valid YAML"):
        load(tmp_path, {"bad.yaml": "name: acme\n  number: [1\n"})


def test_tenant_files_are_read_by_libyaml_with_the_same_result(project_dir: Path) -> None:
    from model.files import _EventSource, read_yaml

    assert (
        yaml.__with_libyaml__ and _EventSource is yaml.cyaml.CParser
    )  # the wheel ships it; a build without it is slow
    for path in [*sorted((project_dir / "tenants").glob("*.yaml")), *sorted(project_dir.glob("Pulumi.*.yaml"))]:
        assert read_yaml(path, path.name) == (yaml.safe_load(path.read_text()), []), path.name


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"tenants/list\.yaml: \(top level\): is a list, not a mapping"):
        load(tmp_path, {"list.yaml": "- name: acme\n"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("nodez", [], r"Pulumi\.dev\.yaml: proxcloud:nodez: unknown key"),
        (
            "nodes",
            [{"name": "pve1", "vtep": "10.1.1.1"}],
            r"proxcloud:nodes\[0\]\.vtep: 10\.1\.1\.1 is not a host address of the underlay",
        ),
        ("nodes", [{"name": "pve_1", "vtep": "10.99.0.1"}], r"proxcloud:nodes\[0\]\.name: 'pve_1' is not a valid"),
        ("underlay", {"cidr": "10.99.0.0/24", "mtu": 100}, r"proxcloud:underlay\.mtu: Input should be greater"),
        ("domain", "Not A Domain", r"proxcloud:domain: 'Not A Domain' is not a valid DNS domain"),
        ("tenants", ["ghost"], r"proxcloud:tenants\[0\]: no tenant file tenants/ghost\.yaml"),
        ("datastores", {"vm": "local-zfs"}, r"proxcloud:datastores\.snippets: is required"),
    ],
    ids=["unknown-key", "vtep-outside-underlay", "bad-node-name", "tiny-mtu", "bad-domain", "ghost-tenant", "no-ds"],
)
def test_bad_stack_config(tmp_path: Path, key: str, value: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant()], {**CONFIG, key: value})


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = _mutate(_mutate(tenant(), "zone.id", "x"), "vnets.0.vni", 0)
    with pytest.raises(SpecError) as info:
        load(tmp_path, [bad])
    assert len(info.value.problems) == 2


def test_chronograf_needs_an_allow_list(tmp_path: Path) -> None:
    """Chronograf has no login: published to everyone it would hand out the tenant's metrics (and its InfluxDB)."""
    (tmp_path / "tenants").mkdir()
    for f in (FIXTURE_PROJECT / "tenants").glob("*.yaml"):
        text = f.read_text()
        if f.name == "alpha.yaml":
            text = "\n".join(line for line in text.splitlines() if "chronograf_allow_from" not in line)
        (tmp_path / "tenants" / f.name).write_text(text)
    shutil.copy(FIXTURE_PROJECT / "Pulumi.dev.yaml", tmp_path / "Pulumi.dev.yaml")
    with pytest.raises(SpecError) as err:
        load_stack_spec("dev", tmp_path)
    assert "tenants/alpha.yaml: monitoring: chronograf_allow_from is empty" in str(err.value)
    assert "(fix: list the client networks" in str(err.value)


TEMPLATE = {
    "url": "http://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst",
    "fileName": "debian-12-standard_12.7-1_amd64.tar.zst",
    "checksum": "0" * 128,
}


@pytest.mark.parametrize(
    ("guest", "field"),
    [
        ({"containers": [{"name": "b-ct", "slot": 2, "vnet": "otherweb", "address": "192.168.50.5"}]}, "containers[0]"),
        (
            {
                "wordpress": {
                    "vnet": "otherweb",
                    "public_host": "blog.other.example.org",
                    "site_title": "Blog",
                    "admin_username": "keeper",
                    "admin_email": "keeper@other.example.org",
                    "version": "6.8.3",
                    "sha256": "0" * 64,
                    "web": {"slot": 2, "address": "192.168.50.5"},
                    "db": {"slot": 3, "address": "192.168.50.6"},
                }
            },
            "wordpress.web",
        ),
    ],
    ids=["container", "service-container"],
)
def test_a_containers_clash_names_its_own_field(tmp_path: Path, guest: dict[str, Any], field: str) -> None:
    """check_platform names the field the container was written in (not `vms[i]`): its own vm_id, or the slot a
    derived id comes from."""

    first = tenant(
        "acme", 1, 10, containers=[{"name": "a-ct", "slot": 1, "vnet": "acmeweb", "address": "192.168.10.5"}]
    )
    cfg = {**CFG, "containerTemplate": TEMPLATE}
    vm_id = {"containers": [{**guest["containers"][0], "vm_id": 1001}]} if "containers" in guest else {}
    if "wordpress" in guest:
        vm_id = {"wordpress": {**guest["wordpress"], "web": {"slot": 2, "address": "192.168.50.5", "vm_id": 1001}}}
    load(tmp_path, [first, tenant("other", 2, 50, **guest)], cfg)  # twin: without the clash, it loads
    with pytest.raises(SpecError) as exc:
        load(tmp_path, [first, tenant("other", 2, 50, **vm_id)], cfg)
    assert (
        f"tenants/other.yaml: {field}.vm_id: VM ID 1001 is already used by tenants/acme.yaml (containers[0].slot)"
        in str(exc.value)
    )
    assert "vms[" not in str(exc.value)


def _with_node(extra: dict[str, Any]) -> dict[str, Any]:
    return {**CFG, "nodes": [*CFG["nodes"], {"name": "pve3", "vtep": "10.99.0.13", **extra}]}


def test_a_node_added_with_place_tenants_from_moves_no_guest(tmp_path: Path) -> None:
    """Adding a node the runbook's way (placeTenantsFrom = next free tenant number) keeps every earlier tenant's
    guests and replica ring where they were; the new node takes the later tenants. Twin: without it guests move."""
    vms = [{"name": f"v{s}", "slot": s, "vnet": "acmeweb", "address": f"192.168.10.{10 + s}"} for s in range(1, 5)]
    tenants = [tenant(number=1, vms=vms)]
    before = {v.name: v.node for v in load(tmp_path, tenants, CFG).tenants[0].vms}
    after = load(tmp_path, tenants, _with_node({"placeTenantsFrom": 2})).tenants[0].vms
    assert {v.name: v.node for v in after} == before
    assert all(v.spread == ("pve1", "pve2") for v in after)
    moved = load(tmp_path, tenants, _with_node({})).tenants[0].vms
    assert {v.name: v.node for v in moved} != before
    later = tenant(name="later", number=2, octet=20)
    assert load(tmp_path, [later], _with_node({"placeTenantsFrom": 2})).tenants[0].name == "later"


def test_no_node_places_a_tenant(tmp_path: Path) -> None:
    config = {**CFG, "nodes": [{**n, "placeTenantsFrom": 5} for n in CFG["nodes"]]}
    vms = [{"name": "v1", "slot": 1, "vnet": "acmeweb", "address": "192.168.10.11"}]
    with pytest.raises(SpecError, match=r"acme\.yaml: number: no node places tenant number 1.*placeTenantsFrom 0"):
        load(tmp_path, [tenant(number=1, vms=vms)], config)


def test_a_tenant_named_like_another_tenants_managed_pool_is_refused(tmp_path: Path) -> None:
    """Tenant x's proxy and monitoring VMs sit in pool `x-managed` (no tenant role on it): a tenant named
    `x-managed` would own that pool. Twin: the fixture stack (alpha has a managed pool) loads as shipped."""
    from tests.support.stacks import FIXTURE_PROJECT, load_stack_spec

    project = tmp_path / "p"
    shutil.copytree(FIXTURE_PROJECT, project, symlinks=True)
    assert "alpha" in {t.name for t in load_stack_spec("dev", project).tenants}
    alpha = yaml.safe_load((project / "tenants" / "alpha.yaml").read_text())
    twin = {k: alpha[k] for k in ("access",) if k in alpha}
    twin |= {"name": "alpha-managed", "number": 77, "zone": {"id": "alpham"}}
    (project / "tenants" / "alpha-managed.yaml").write_text(yaml.safe_dump(twin))
    with pytest.raises(SpecError, match=r"alpha-managed\.yaml: name: pool alpha-managed is already used"):
        load_stack_spec("dev", project)
