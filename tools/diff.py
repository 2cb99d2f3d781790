"""`make diff`: what `pulumi preview` would do to a stack deployed from BASE when the working tree is applied.

Plans BASE (a `git archive` of that commit, planned with this venv) and the working tree offline, each with
`tools.plan` and one random digest key for both (`PROXCLOUD_PLAN_DIGEST_KEY`, so a changed secret shows without
being revealed), then prints per resource create / update (the changed inputs) / replace (create-before-delete or
delete-before-replace, and why) / delete in a `pulumi preview`-like tree with a summary, and the hazards
(tools/preview.py has what is modelled). Exit code 0: no hazard; 1: hazards; 2: cannot diff (bad BASE, a plan
that fails - with the plan's own message).

    make diff [BASE=HEAD] [STACK=dev|prod]
    python -m tools.diff --base origin/main --stack prod [--replace NAME|URN]... [--rotate SECRET]... [--show-sames]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from tools.mockengine import DIGEST_KEY_ENV, OFFLINE_SECRETS, PROJECT_DIR
from tools.preview import classify, render


class CannotDiff(Exception):
    """BASE or a plan cannot be had; the message says why."""


def _git(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)


def resolve(base: str, cwd: Path = PROJECT_DIR) -> str:
    """The commit BASE names, or CannotDiff."""
    result = _git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=cwd)
    if result.returncode != 0:
        raise CannotDiff(f"BASE {base!r} is not a commit of {cwd} (git rev-parse: no such revision)")
    return result.stdout.decode().strip()


def checkout(commit: str, into: Path, cwd: Path = PROJECT_DIR) -> None:
    """The tree of `commit` in `into` (git archive: the repository and its worktrees stay untouched)."""
    result = _git("archive", "--format=tar", commit, cwd=cwd)
    if result.returncode != 0:
        raise CannotDiff(f"git archive {commit}: {result.stderr.decode().strip()}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as tar:
        tar.extractall(into, filter="data")


def plan(project: Path, stack: str, out: Path, key: str, rotate: list[str], what: str) -> dict[str, Any]:
    """`python -m tools.plan` in `project` with this interpreter; its JSON, or CannotDiff with its stderr."""
    if not (project / f"Pulumi.{stack}.yaml").is_file():
        raise CannotDiff(f"{what} has no stack config Pulumi.{stack}.yaml")
    env = {**os.environ, DIGEST_KEY_ENV: key, "PYTHONPATH": str(project)}
    command = [sys.executable, "-m", "tools.plan", "--stack", stack, "--out", str(out), "--quiet"]
    command += [f"--rotate={k}" for k in rotate]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        raise CannotDiff(f"cannot plan {what} (exit code {result.returncode}):\n{message}")
    return json.loads((out / f"plan-{stack}.json").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the git revision deployed (default: HEAD)")
    parser.add_argument("--stack", default="dev")
    parser.add_argument(
        "--replace", action="append", default=[], metavar="NAME|URN", help="as `pulumi up --replace`; repeatable"
    )
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="SECRET",
        help=f"plan the working tree as if this secret had a new value ({', '.join(OFFLINE_SECRETS)}); repeatable",
    )
    parser.add_argument("--show-sames", action="store_true", help="list unchanged resources in the tree too")
    parser.add_argument("--json", metavar="FILE", help="also write the steps and hazards as JSON")
    args = parser.parse_args(argv)
    key = secrets.token_hex(32)
    try:
        commit = resolve(args.base)
        with tempfile.TemporaryDirectory(prefix="proxcloud-diff-") as tmp:
            root = Path(tmp)
            checkout(commit, root / "base")
            base = plan(root / "base", args.stack, root / "base-plan", key, [], f"BASE {args.base} ({commit[:12]})")
            head = plan(PROJECT_DIR, args.stack, root / "head-plan", key, args.rotate, "the working tree")
    except CannotDiff as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("cannot diff", file=sys.stderr)
        return 2
    preview = classify(base, head, replace=args.replace, stack=args.stack)
    title = (
        f"Previewing update ({args.stack}), offline: BASE {args.base} ({commit[:12]}) -> working tree"
        + (f", rotated: {', '.join(args.rotate)}" if args.rotate else "")
        + (f", --replace {', '.join(args.replace)}" if args.replace else "")
        + "\n"
    )
    print(render(preview, title, show_sames=args.show_sames))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "stack": args.stack,
                    "base": commit,
                    "steps": [
                        {"urn": s.urn, "op": s.op, "mode": s.mode, "changed": s.changed, "reasons": s.reasons}
                        for s in preview.steps
                        if s.op != "same"
                    ],
                    "hazards": [{"kind": h.kind, "urn": h.urn, "message": h.message} for h in preview.hazards],
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if preview.hazards else 0


if __name__ == "__main__":
    sys.exit(main())
