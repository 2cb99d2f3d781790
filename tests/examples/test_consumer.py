"""examples/consumer: another team's program reads the outputs through a StackReference, under mocks."""

from __future__ import annotations

import json

import pulumi
import pytest

from tools.mockengine import PROJECT_DIR, PlanMocks, Recording, run_program

CONSUMER = PROJECT_DIR / "examples" / "consumer" / "__main__.py"


def _consume(outputs: dict, tenant: str = "alpha") -> Recording:
    config = {"proxcloud-consumer:tenant": tenant, "proxcloud-consumer:proxcloudStack": "org/proxcloud/dev"}
    return run_program("dev", config=config, project="proxcloud-consumer", program=CONSUMER, mocks=PlanMocks(outputs))


def test_consumer_reads_the_dev_outputs(plan_dev: Recording) -> None:
    outputs = json.loads(json.dumps(plan_dev.outputs))
    rec = _consume(outputs)
    assert rec.outputs["contract"] == "1.1"
    assert rec.outputs["pool"] == "alpha"
    assert rec.outputs["networks"] == {"alphaweb": "192.168.10.0/24", "alphadb": "192.168.20.0/24"}
    assert rec.outputs["grafana"] == "https://grafana-alpha.dev.example.net/"


def test_consumer_refuses_an_unknown_major_version(plan_dev: Recording) -> None:
    outputs = {**json.loads(json.dumps(plan_dev.outputs)), "schema_version": "2.0"}
    with pytest.raises(pulumi.RunError, match=r"outputs schema 2\.0; this program reads 1\.x"):
        _consume(outputs)
