"""The tests' own project: tests/fixtures/project holds copies of the setups A-D tenant files and the dev and prod
stack configs, with the real __main__.py beside them (a symlink), so the user's tenants/ and Pulumi.<stack>.yaml
can change freely without changing what the tests see. Tests of the shipped files themselves use PROJECT_DIR."""

from __future__ import annotations

import shutil
from pathlib import Path

from model.platform import Platform
from tools.mockengine import Recording, run_program, stack_config

FIXTURE_PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "project"
PROGRAM = FIXTURE_PROJECT / "__main__.py"


def fixture_config(stack: str) -> dict[str, str]:
    """The fixture stack's config as the engine passes it (secrets as offline placeholders)."""
    return stack_config(stack, FIXTURE_PROJECT)


def run_fixture(stack: str, config: dict[str, str] | None = None) -> Recording:
    """The program on the fixture stack (or on `config`, e.g. the fixture config with keys replaced)."""
    return run_program(stack, config=fixture_config(stack) if config is None else config, program=PROGRAM)


def load_stack_spec(stack: str, project_dir: Path = FIXTURE_PROJECT) -> Platform:
    """A stack's spec, loaded the way the program loads it (the `proxcloud:` keys of the stack config)."""
    from model.files import config_value
    from model.load import load_platform

    raw = stack_config(stack, project_dir)
    cfg = {k.split(":", 1)[1]: config_value(v) for k, v in raw.items() if k.startswith("proxcloud:")}
    return load_platform("proxcloud", stack, cfg, project_dir)


def with_fixture_inputs(project: Path) -> Path:
    """Make a copy of the repository plan the fixture stacks: its tenants/ and Pulumi.<stack>.yaml replaced by the
    fixture project's (for tests that run the tools as a user does, in a copy of the whole project)."""
    shutil.rmtree(project / "tenants", ignore_errors=True)
    shutil.copytree(FIXTURE_PROJECT / "tenants", project / "tenants")
    for path in FIXTURE_PROJECT.glob("Pulumi.*.yaml"):
        shutil.copy(path, project / path.name)
    return project
