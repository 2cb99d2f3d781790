"""Shared fixtures: the whole program run for each stack under the recording mock engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from model.platform import Platform
from tools.mockengine import PROJECT_DIR, Recording, run_program, stack_config


@pytest.fixture(scope="session")
def plan_dev() -> Recording:
    return run_program("dev")


@pytest.fixture(scope="session")
def plan_prod() -> Recording:
    return run_program("prod")


@pytest.fixture(params=["dev", "prod"])
def plan(request: pytest.FixtureRequest) -> Recording:
    return request.getfixturevalue(f"plan_{request.param}")


@pytest.fixture
def run_with(tmp_path: Path) -> Callable[..., Recording]:
    """Run the program on the dev stack config with some keys replaced (values as Python objects)."""

    def run(stack: str = "dev", **overrides: object) -> Recording:
        config = stack_config(stack)
        for key, value in overrides.items():
            config[key] = value if isinstance(value, str) else json.dumps(value)
        return run_program(stack, config=config)

    return run


@pytest.fixture
def project_dir() -> Path:
    return PROJECT_DIR


def load_stack_spec(stack: str) -> Platform:
    """The shipped stack's spec, loaded the way the program loads it (the `proxcloud:` keys of the stack config)."""
    import yaml

    from model.load import load_platform

    raw = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    cfg = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("proxcloud:")}
    return load_platform("proxcloud", stack, cfg, PROJECT_DIR)


@pytest.fixture(scope="session")
def spec_dev() -> Platform:
    return load_stack_spec("dev")


@pytest.fixture(scope="session")
def spec_prod() -> Platform:
    return load_stack_spec("prod")
