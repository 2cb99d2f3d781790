"""The nodes' own SMTP egress: every flow of model.flows.host_egress passes the planned host firewall (the
datacenter output policy is ACCEPT, so no rule is written); shown failing on a DROP policy and on a DROP rule."""

from __future__ import annotations

import dataclasses

from model.flows import host_egress
from model.platform import Platform
from proofs.host_egress import CLUSTER_FW, RULES, host_egress_allowed
from tests.support.stacks import load_stack_spec
from tools.mockengine import Recording


def _flows(stack: str) -> list:
    platform: Platform = load_stack_spec(stack)
    flows = host_egress(platform)
    assert len(flows) == len(platform.node_names) and all(f.port == 465 for f in flows)
    return flows


def test_every_node_reaches_the_smtp_relay(plan_dev: Recording, plan_prod: Recording) -> None:
    for stack, plan in (("dev", plan_dev), ("prod", plan_prod)):
        for f in _flows(stack):
            verdict = host_egress_allowed(plan, f.proto, f.port, f.dst)
            assert verdict.ok, (stack, f, verdict)
            assert verdict.reason == "datacenter output policy ACCEPT" and "output policy ACCEPT" in f.why


def _with(plan: Recording, type_: str, **inputs: object) -> Recording:
    out = []
    for r in plan.resources:
        if r.type == type_ and not r.inputs.get("nodeName") and not r.inputs.get("vmId"):
            r = dataclasses.replace(r, inputs={**r.inputs, **inputs})
        out.append(r)
    return dataclasses.replace(plan, resources=out)


def test_twin_an_output_policy_drop_cuts_the_mail_off(plan_prod: Recording) -> None:
    f = _flows("prod")[0]
    assert not host_egress_allowed(_with(plan_prod, CLUSTER_FW, outputPolicy="DROP"), f.proto, f.port, f.dst).ok


def test_twin_an_out_drop_rule_cuts_the_mail_off(plan_prod: Recording) -> None:
    f = _flows("prod")[0]
    host = next(r for r in plan_prod.by_type(RULES) if not r.inputs.get("nodeName") and not r.inputs.get("vmId"))
    rules = [{"type": "out", "action": "DROP", "proto": "tcp", "dport": "465"}, *host.inputs["rules"]]
    assert not host_egress_allowed(_with(plan_prod, RULES, rules=rules), f.proto, f.port, f.dst).ok
