"""Helpers for the bad-input tests: a copy of the shipped inputs to break, and the real `make plan` entry point
run on it in-process, with what a user would see (exit code, stderr, whether a plan was written)."""

from __future__ import annotations

import contextlib
import io
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

from model.errors import SpecError
from model.files import config_value
from model.load import load_platform
from tests.support.stacks import FIXTURE_PROJECT
from tools.mockengine import PROJECT_DIR, stack_config
from tools.plan import main

INPUTS = ("Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.yaml")


def copy_inputs(dst: Path) -> Path:
    """The fixture project's tenant files and stack configs (setups A-D) in `dst`, with the real program beside
    them."""
    (dst / "tenants").mkdir(parents=True, exist_ok=True)
    for path in sorted((FIXTURE_PROJECT / "tenants").glob("*.yaml")):
        shutil.copy(path, dst / "tenants" / path.name)
    for name in INPUTS:
        shutil.copy(FIXTURE_PROJECT / name, dst / name)
    (dst / "__main__.py").symlink_to(PROJECT_DIR / "__main__.py")
    return dst


def replace(path: Path, old: str, new: str) -> None:
    """Edit a file like a user would; the text to replace must be there (a test that edits nothing is void)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def replace_line(path: Path, start: str, new: str) -> None:
    """Replace the first line that starts with `start` (after its indentation) by `new`, indented the same."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith(start):
            lines[i] = line[: len(line) - len(line.lstrip())] + new + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"no line starts with {start!r} in {path.name}")


@dataclass
class Outcome:
    code: int
    stderr: str
    planned: bool

    @property
    def problems(self) -> list[str]:
        """The problem lines of the report (between the header and `no plan written`)."""
        lines = self.stderr.splitlines()
        if "error: invalid proxcloud input:" not in lines:
            return []
        start = lines.index("error: invalid proxcloud input:") + 1
        end = lines.index("no plan written") if "no plan written" in lines else len(lines)
        return lines[start:end]


def plan(project: Path, stack: str = "dev") -> Outcome:
    """`python -m tools.plan --stack <stack>` on `project`; an exception escaping it is a traceback (exit 1)."""
    out = project / "build"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["--stack", stack, "--project", str(project), "--out", str(out), "--quiet"])
        except BaseException:
            err.write(traceback.format_exc())
            code = 1
    return Outcome(code, err.getvalue(), (out / f"plan-{stack}.json").exists())


def load(project: Path, stack: str = "dev") -> Outcome:
    """What the program does before it registers anything (read the stack file as the engine would, decode the
    values as components/config.py does, load the spec), reported as `make plan` reports it. Exit 0: loaded (the
    full plan decides the rest); the plan file is never written here."""
    err = ""
    try:
        raw = stack_config(stack, project)
        config = {k.split(":", 1)[1]: config_value(v) for k, v in raw.items() if k.startswith("proxcloud:")}
        load_platform("proxcloud", stack, config, project)
        code = 0
    except SpecError as exc:
        err, code = f"error: invalid proxcloud input:\n{exc}\nno plan written\n", 2
    except BaseException:
        err, code = traceback.format_exc(), 1
    return Outcome(code, err, False)


def assert_refused(outcome: Outcome, file: str, field: str, message: str = "") -> None:
    """Exit 2, no traceback, no plan; a problem line `<file>: <field>: ...<message>...`; every line with a fix."""
    assert outcome.code == 2, outcome.stderr[-3000:]
    assert "Traceback" not in outcome.stderr, outcome.stderr[-3000:]
    assert not outcome.planned
    assert outcome.problems, outcome.stderr
    head = f"{file}: {field}: "
    assert any(line.startswith(head) and message in line for line in outcome.problems), (head, message, outcome.stderr)
    for line in outcome.problems:
        assert "(fix: " in line, line
