"""Shared fixtures: the whole program run for each stack of the tests' own project (tests/fixtures/project, setups
A-D) under the recording mock engine. Helpers live in tests/support; no test module imports another."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from model.platform import Platform
from tests.support.stacks import FIXTURE_PROJECT, fixture_config, load_stack_spec, run_fixture
from tools.mockengine import Recording


@pytest.fixture(scope="session")
def plan_dev() -> Recording:
    return run_fixture("dev")


@pytest.fixture(scope="session")
def plan_prod() -> Recording:
    return run_fixture("prod")


@pytest.fixture(params=["dev", "prod"])
def plan(request: pytest.FixtureRequest) -> Recording:
    return request.getfixturevalue(f"plan_{request.param}")


@pytest.fixture
def run_with() -> Callable[..., Recording]:
    """Run the program on a fixture stack config with some keys replaced (values as Python objects)."""

    def run(stack: str = "dev", **overrides: object) -> Recording:
        config = fixture_config(stack)
        for key, value in overrides.items():
            config[key] = value if isinstance(value, str) else json.dumps(value)
        return run_fixture(stack, config)

    return run


@pytest.fixture
def project_dir() -> Path:
    """The tests' own project folder (its tenants/ and Pulumi.<stack>.yaml)."""
    return FIXTURE_PROJECT


@pytest.fixture(scope="session")
def spec_dev() -> Platform:
    return load_stack_spec("dev")


@pytest.fixture(scope="session")
def spec_prod() -> Platform:
    return load_stack_spec("prod")
