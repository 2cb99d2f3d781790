"""PVE 9's HA rule checks over the planned graph: the prod plan passes, and every check is seen failing on its twin.

The hand-built graph `design()` is the shape components/ha.py plans (written here by hand, not by the code it
checks); each twin changes one thing in it, or in the prod plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from proofs import ha_rules as ha
from proofs.privileges import CT, VM
from tests.support.graph import recording, reg
from tools.mockengine import Recording, Registration

NODES = ["n1", "n2", "n3"]
RULE_CHECKS = [c for c, _ in ha.CHECKS]


def _deps(r: Registration, *on: Registration) -> Registration:
    return dataclasses.replace(r, dependencies=[o.urn for o in on])


def guest(vmid: int, node: str, kind: str = "vm") -> Registration:
    return reg(VM if kind == "vm" else CT, f"g{vmid}", vmId=vmid, nodeName=node)


def replication(vmid: int, target: str, job: int = 0) -> Registration:
    return reg(ha.REPLICATION, f"rep{vmid}-{job}", resourceId=f"{vmid}-{job}", target=target, type="local")


def ha_resource(sid: str, g: Registration) -> Registration:
    return _deps(reg(ha.HARESOURCE, f"ha-{sid}", resourceId=sid, state="started", maxRestart=2, maxRelocate=2), g)


def node_rule(rule: str, sids: list[str], nodes: dict[str, int], *after: Registration) -> Registration:
    r = reg(ha.HARULE, rule, rule=rule, type="node-affinity", resources=sids, nodes=nodes, strict=True)
    return _deps(r, *after)


def affinity_rule(rule: str, affinity: str, sids: list[str], *after: Registration) -> Registration:
    return _deps(reg(ha.HARULE, rule, rule=rule, type="resource-affinity", affinity=affinity, resources=sids), *after)


def design() -> dict[str, Registration]:
    """web (vm:101) n1 -> n2; prod (vm:102) n2 and test (vm:103) n3 kept apart, both replicated to n1 (not to
    each other's home); a container (ct:104) n3 -> n1."""
    g = {101: guest(101, "n1"), 102: guest(102, "n2"), 103: guest(103, "n3"), 104: guest(104, "n3", "ct")}
    h = {sid: ha_resource(sid, g[int(sid[3:])]) for sid in ("vm:101", "vm:102", "vm:103", "ct:104")}
    out = {"zone": reg(ha.ZONE, "zone", nodes=NODES)}
    out |= {f"g{k}": v for k, v in g.items()}
    out |= {f"rep{k}": replication(k, t) for k, t in ((101, "n2"), (102, "n1"), (103, "n1"), (104, "n1"))}
    out |= {f"ha-{k}": v for k, v in h.items()}
    out["home-101"] = node_rule("home-101", ["vm:101"], {"n1": 2, "n2": 1}, h["vm:101"])
    out["home-102"] = node_rule("home-102", ["vm:102"], {"n2": 1, "n1": 1}, h["vm:102"])
    out["home-103"] = node_rule("home-103", ["vm:103"], {"n3": 1, "n1": 1}, h["vm:103"])
    out["home-104"] = node_rule("home-104", ["ct:104"], {"n3": 2, "n1": 1}, h["ct:104"])
    out["apart"] = affinity_rule(
        "apart-102-103", "negative", ["vm:102", "vm:103"], h["vm:102"], h["vm:103"], out["home-102"], out["home-103"]
    )
    return out


def rec_of(graph: dict[str, Registration]) -> Recording:
    return recording(*graph.values())


def changed(graph: dict[str, Registration], key: str, **inputs: object) -> dict[str, Registration]:
    """The graph with some inputs of one registration replaced (None removes the input)."""
    r = graph[key]
    new = {k: v for k, v in {**r.inputs, **inputs}.items() if v is not None}
    return {**graph, key: dataclasses.replace(r, inputs=new)}


def added(graph: dict[str, Registration], **regs: Registration) -> dict[str, Registration]:
    return {**graph, **regs}


def todays_shape() -> dict[str, Registration]:
    """The rules components/ha.py planned before this fix: per guest home 2, every other node 1, plus the negative
    rule; replicas on the plain next node (prod's to test's home)."""
    g = design()
    for key, home in (("home-101", "n1"), ("home-102", "n2"), ("home-103", "n3"), ("home-104", "n3")):
        g = changed(g, key, nodes={n: 2 if n == home else 1 for n in NODES})
    return added(g, rep102=replication(102, "n3"))


def test_the_prod_plan_passes_every_check(plan_prod: Recording) -> None:
    assert ha.rules(plan_prod) and plan_prod.by_type(ha.HARESOURCE)
    assert ha.problems(plan_prod) == []


def test_the_dev_plan_has_no_ha_and_nothing_to_find(plan_dev: Recording) -> None:
    assert ha.rules(plan_dev) == [] and ha.problems(plan_dev) == []


def test_the_design_passes_every_check() -> None:
    assert ha.problems(rec_of(design())) == []


def test_todays_shape_is_refused_by_pve() -> None:
    found = ha.single_priority_node_affinity_in_resource_affinity_rules(rec_of(todays_shape()))
    assert len(found) == 2
    assert "rule home-102 (home-102): priorities [1, 2] for vm:102, which rule apart-102-103" in found[0] + found[1]
    assert "rule home-103 (home-103): priorities [1, 2] for vm:103" in found[0] + found[1]
    assert any("hold no replica" in p for p in ha.failover_only_to_replicas(rec_of(todays_shape())))


def test_two_priorities_on_a_kept_apart_prod_guest_are_refused(plan_prod: Recording) -> None:
    resources = [
        dataclasses.replace(r, inputs={**r.inputs, "nodes": {**r.inputs["nodes"], next(iter(r.inputs["nodes"])): 2}})
        if r.type == ha.HARULE and r.inputs["rule"] == "home-1010106"
        else r
        for r in plan_prod.resources
    ]
    found = ha.single_priority_node_affinity_in_resource_affinity_rules(Recording(resources=resources))
    assert [p.split(":")[0] for p in found] == ["rule home-1010106 (ha-humhub-home)"]


def _positive(*sids: str) -> Registration:
    return affinity_rule(f"together-{'-'.join(s[3:] for s in sids)}", "positive", list(sids))


def _extra_guest(g: dict[str, Registration], vmid: int, node: str) -> dict[str, Registration]:
    gg = guest(vmid, node)
    return added(g, **{f"g{vmid}": gg, f"ha-vm:{vmid}": ha_resource(f"vm:{vmid}", gg)})


# Per check, twins of the design that it must refuse (each a function of the design graph).
TWINS: dict[Callable[[Recording], list[str]], list[Callable[[dict], dict]]] = {
    ha.single_priority_node_affinity_in_resource_affinity_rules: [
        lambda g: changed(g, "home-102", nodes={"n2": 2, "n1": 1}),
        lambda g: todays_shape(),
    ],
    ha.single_node_affinity_per_positive_resource_affinity_rule: [
        lambda g: added(g, together=_positive("vm:101", "ct:104")),
        # merged through vm:105 (no node-affinity rule of its own): each positive rule alone meets one rule
        lambda g: added(_extra_guest(g, 105, "n1"), p1=_positive("vm:101", "vm:105"), p2=_positive("vm:105", "ct:104")),
    ],
    ha.negative_resource_affinity_node_affinity_consistency: [
        lambda g: changed(changed(g, "home-102", nodes={"n1": 1}), "home-103", nodes={"n1": 1}),
    ],
    ha.single_resource_reference: [
        lambda g: added(g, again=node_rule("again-101", ["vm:101"], {"n1": 1}, g["ha-vm:101"])),
    ],
    ha.resource_affinity_resources_count: [
        lambda g: changed(g, "apart", resources=["vm:102"]),
    ],
    ha.negative_resource_affinity_resources_count: [
        lambda g: changed(g, "apart", resources=["vm:101", "vm:102", "vm:103", "ct:104"]),
    ],
    ha.inter_resource_affinity_rules_consistency: [
        lambda g: added(g, together=_positive("vm:102", "vm:103")),
        lambda g: added(_extra_guest(g, 105, "n1"), p1=_positive("vm:102", "vm:105"), p2=_positive("vm:105", "vm:103")),
    ],
    ha.rule_resources_are_ha_resources: [
        lambda g: changed(g, "home-101", resources=["vm:999"]),
        lambda g: changed(g, "home-101", resources=[]),
        lambda g: added(g, **{"home-101": dataclasses.replace(g["home-101"], dependencies=[])}),
    ],
    ha.rule_nodes_exist: [
        lambda g: changed(g, "home-101", nodes={"n1": 2, "pve9": 1}),
        lambda g: changed(g, "home-101", nodes={}),
    ],
    ha.rule_schema: [
        lambda g: changed(g, "home-101", rule="1-home"),
        lambda g: changed(g, "home-101", rule="home-101."),
        lambda g: changed(g, "home-102", rule="home-101"),
        lambda g: changed(g, "home-101", type="location"),
        lambda g: changed(g, "home-101", nodes={"n1": 2, "n2": 0}),
        lambda g: changed(g, "home-101", nodes={"n1": 2, "n2": 1001}),
        lambda g: changed(g, "home-101", nodes={"n1": 2, "n_2": 1}),
        lambda g: changed(g, "home-101", affinity="negative"),
        lambda g: changed(g, "apart", nodes={"n1": 1}),
        lambda g: changed(g, "apart", strict=True),
        lambda g: changed(g, "apart", affinity="apart"),
        lambda g: changed(g, "apart", affinity=None),
        lambda g: changed(g, "home-101", resources=["qemu:101"]),
        lambda g: changed(g, "home-101", comment="web prefers n1 "),
    ],
    ha.resource_affinity_after_node_affinity: [
        lambda g: added(g, apart=_deps(g["apart"], g["ha-vm:102"], g["ha-vm:103"])),
    ],
    ha.ha_resources_are_planned_guests: [
        lambda g: changed(g, "ha-vm:101", resourceId="vm:999"),
        lambda g: changed(g, "ha-vm:101", resourceId="ct:101"),
        lambda g: changed(g, "ha-vm:101", resourceId="vm:0101"),
        lambda g: added(g, **{"ha-vm:101": dataclasses.replace(g["ha-vm:101"], dependencies=[])}),
    ],
    ha.ha_resource_schema: [
        lambda g: changed(g, "ha-vm:102", resourceId="vm:101"),
        lambda g: changed(g, "ha-vm:101", state="running"),
        lambda g: changed(g, "ha-vm:101", group="web"),
        lambda g: changed(g, "ha-vm:101", maxRestart=11),
    ],
    ha.failover_only_to_replicas: [
        lambda g: changed(g, "home-101", nodes={"n1": 2, "n2": 1, "n3": 1}),  # n3 holds no replica of vm:101
        lambda g: changed(g, "home-101", nodes={"n1": 1, "n2": 2}),  # the home is not preferred
        lambda g: changed(g, "home-101", nodes={"n1": 2}),  # nowhere to fail over
        lambda g: changed(g, "home-101", strict=False),  # PVE adds n3 (no replica) at the lowest priority
        lambda g: {k: v for k, v in g.items() if k != "home-104"},  # an HA resource without a rule
    ],
    ha.kept_apart_guests_can_fail_over: [
        # prod replicated to test's home (the plain next node): its only failover node is blocked while test runs
        lambda g: changed(added(g, rep102=replication(102, "n3")), "home-102", nodes={"n2": 1, "n3": 1}),
    ],
}


def test_every_check_has_twins_and_a_source() -> None:
    assert set(TWINS) == set(RULE_CHECKS)
    assert all(src and (src.startswith("src/PVE/") or "ours" in src or "bpg" in src) for _, src in ha.CHECKS)


@pytest.mark.parametrize(
    "check, twin",
    [(c, t) for c, ts in TWINS.items() for t in ts],
    ids=[f"{c.__name__}-{i}" for c, ts in TWINS.items() for i in range(len(ts))],
)
def test_each_twin_is_refused(check: Callable[[Recording], list[str]], twin: Callable[[dict], dict]) -> None:
    assert check(rec_of(design())) == []
    assert check(rec_of(twin(design())))


def test_positive_rules_are_merged_before_they_are_checked() -> None:
    g = _extra_guest(design(), 105, "n1")
    one = added(g, p1=_positive("vm:101", "vm:105"))
    assert ha.single_node_affinity_per_positive_resource_affinity_rule(rec_of(one)) == []
    both = added(one, p2=_positive("vm:105", "ct:104"))
    assert ha.single_node_affinity_per_positive_resource_affinity_rule(rec_of(both))


def test_disabled_rules_are_left_out_of_feasibility_as_pve_does() -> None:
    g = changed(todays_shape(), "apart", disable=True)
    assert ha.single_priority_node_affinity_in_resource_affinity_rules(rec_of(g)) == []
