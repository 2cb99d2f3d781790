"""The day-2 scenarios: routine operator changes, each an edit of a temporary copy of the inputs, run through the
`make diff` classifier (tools/preview.py) against the shipped inputs on every stack it applies to.

`python -m tools.scenarios [--stack dev|prod] [--scenario NAME] [--tree]` prints per scenario and stack the
predicted steps and hazards. tests/tools/test_day2.py holds the hazards found today to exactly the table in
tests/support/day2_known_hazards.py (the day-2 backlog, docs/operations.md).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.mockengine import PROJECT_DIR
from tools.plan import plan_document, record_plan
from tools.preview import Preview, classify, render

Edit = Callable[[Path, str], None]

# A second admin key (a documentation-only ed25519 public key).
NEW_ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFd2Gm3sVd0p9Qk1yZ5o3b8rN4xW7cT2uE6hJ0aL9mPq ops2@proxcloud"


@dataclass(frozen=True)
class Scenario:
    """One routine change: an edit of the inputs, secrets it rotates, resources it replaces on purpose."""

    name: str
    why: str
    stacks: tuple[str, ...] = ("dev", "prod")
    edit: Edit | None = None
    rotate: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()  # resource names, as `pulumi up --replace <urn>`
    touches: tuple[str, ...] = ()  # resources the change must reach (any step but `same`): the edit took effect
    deployed: Edit | None = None  # the deployed state, when it is not the shipped inputs (a runbook's later step)


def _yaml_edit(relative: str, change: Callable[[dict[str, Any]], None]) -> Edit:
    def edit(project: Path, _stack: str) -> None:
        path = project / relative
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    return edit


def _config_edit(change: Callable[[dict[str, Any], str], None]) -> Edit:
    def edit(project: Path, stack: str) -> None:
        path = project / f"Pulumi.{stack}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data["config"], stack)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    return edit


def _add_route(t: dict[str, Any]) -> None:
    t["proxy"]["routes"].append({"host": "blog.alpha.example.org", "upstream": "192.168.10.11", "port": 80})


def _add_tenant(project: Path, _stack: str) -> None:
    (project / "tenants" / "gamma.yaml").write_text(
        "name: gamma\nnumber: 6\ndescription: Tenant 6 (a new self-service tenant)\naccess: self-service\n"
        "users:\n  - name: greta.gamma\n    email: greta.gamma@gamma.example.org\n"
        # no `storages`: its own gamma-iso and gamma-disks come with it (a shared local-zfs is refused)
        "zone:\n  id: gamma\nvnets:\n  - id: gammaweb\n    cidr: 192.168.80.0/24\n    description: gamma web tier\n",
        encoding="utf-8",
    )


def _remove_tenant(project: Path, stack: str) -> None:
    (project / "tenants" / "beta.yaml").unlink()
    _config_edit(lambda config, _s: config["proxcloud:publicAddresses"].pop("beta"))(project, stack)


def _add_admin_key(config: dict[str, Any], _stack: str) -> None:
    config["proxcloud:adminSshKeys"].append(NEW_ADMIN_KEY)


def _retention(config: dict[str, Any], _stack: str) -> None:
    config["proxcloud:backup"]["retention"]["keepDaily"] = 21


def _add_node(config: dict[str, Any], _stack: str) -> None:
    # The runbook's way: the new node places tenants from the next free number on, so no guest or replica moves.
    config["proxcloud:nodes"].append({"name": "pve4", "vtep": "10.100.0.4", "placeTenantsFrom": 6})
    config["proxcloud:capacity"]["nodes"]["pve4"] = {"cores": 32, "memoryMb": 262144, "diskGb": 7200}


def _retiring(t: dict[str, Any]) -> None:
    t["retiring"] = True


def _memory(t: dict[str, Any]) -> None:
    next(v for v in t["vms"] if v["name"] == "verein-cloud")["memory_mb"] = 8192


def _humhub(t: dict[str, Any]) -> None:
    t["humhub"]["site_name"] = "Community Hub"


def _admin_from(config: dict[str, Any], _stack: str) -> None:
    config["proxcloud:edge"]["adminFrom"].append("192.0.2.16/28")


def _add_forward(t: dict[str, Any]) -> None:
    t["forwards"].append(
        {"proto": "tcp", "public_port": 2202, "vm": "verein-cloud", "port": 22, "why": "SSH for the cloud's admins"}
    )


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "add a route",
        "a new proxy route on alpha's Caddy",
        edit=_yaml_edit("tenants/alpha.yaml", _add_route),
        touches=("alpha-proxy-routes",),
    ),
    Scenario(
        "add a tenant",
        "tenants/gamma.yaml: a new self-service tenant with one VNet",
        edit=_add_tenant,
        touches=("gamma-pool", "gamma-vxlan-gammaweb", "backup-gamma-nightly"),
    ),
    Scenario(
        "remove a tenant",
        "tenants/beta.yaml and its public address removed (dev: nothing of beta is protected there)",
        stacks=("dev",),
        edit=_remove_tenant,
        touches=("beta-pool", "beta-proxy-vm-vm"),
    ),
    Scenario(
        "retire a tenant: retiring",
        "docs/operations.md step 2: `retiring: true` in tenants/beta.yaml (protection off, in place)",
        stacks=("prod",),
        edit=_yaml_edit("tenants/beta.yaml", _retiring),
        touches=("beta-monitoring-influxdb-vm",),
    ),
    Scenario(
        "retire a tenant: remove",
        "docs/operations.md step 3: from the retiring state, tenants/beta.yaml and its public address removed",
        stacks=("prod",),
        edit=_remove_tenant,
        deployed=_yaml_edit("tenants/beta.yaml", _retiring),
        touches=("beta-pool", "backup-beta-storage"),
    ),
    Scenario(
        "add an admin SSH key",
        "proxcloud:adminSshKeys gets a second key",
        edit=_config_edit(_add_admin_key),
        touches=("admin-keys-edge", "admin-keys-keepers-wp-db"),  # a VM's and a container's key delivery
    ),
    Scenario(
        "rotate the deploy token",
        "proxmoxve:apiToken gets a new value",
        rotate=("proxmoxve:apiToken",),
        # no resource holds the token: the providers take it at run time (components/vnet_firewall.py)
    ),
    Scenario(
        "rotate a monitoring token",
        "docs/operations.md: `pulumi up --replace <urn of alpha-monitoring-token>`",
        replace=("alpha-monitoring-token",),
        touches=("alpha-monitoring-token", "alpha-monitoring-influxdb-reconfigure"),  # reaches Telegraf
    ),
    Scenario(
        "rotate pbsPassword",
        "proxcloud:pbsPassword gets a new value",
        rotate=("proxcloud:pbsPassword",),
        touches=("backup-pbs-password", "backup-pbs-jobs"),  # the storages ignore it (components/backup.py)
    ),
    Scenario(
        "change retention",
        "proxcloud:backup.retention.keepDaily 14 -> 21",
        edit=_config_edit(_retention),
        touches=("backup-alpha-nightly", "backup-pbs-jobs"),
    ),
    Scenario(
        "add a node",
        "proxcloud:nodes gets pve4 (and its capacity)",
        stacks=("prod",),
        edit=_config_edit(_add_node),
        touches=("firewall-node-pve4", "alpha-vxlan-zone"),
    ),
    Scenario(
        "change a VM's memory",
        "hosting's verein-cloud: memory_mb 4096 -> 8192",
        edit=_yaml_edit("tenants/hosting.yaml", _memory),
        touches=("hosting-verein-cloud-vm",),
    ),
    Scenario(
        "change HumHub settings",
        "community's humhub.site_name: Community -> Community Hub (install-time: HumHub's installer writes it once)",
        edit=_yaml_edit("tenants/community.yaml", _humhub),
    ),
    Scenario(
        "change the edge's adminFrom",
        "proxcloud:edge.adminFrom gets 192.0.2.16/28",
        edit=_config_edit(_admin_from),
        touches=("firewall-admins", "firewall-hosts"),
    ),
    Scenario(
        "add a forward",
        "hosting: tcp 2202 -> verein-cloud:22 on the edge",
        edit=_yaml_edit("tenants/hosting.yaml", _add_forward),
        touches=("edge-router-reconfigure",),
    ),
)

INPUTS = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "tenants")


@contextmanager
def inputs_copy(project_dir: Path = PROJECT_DIR) -> Iterator[Path]:
    """A temporary copy of the program's inputs (its __main__.py, stack configs, tenant files); the code it
    imports stays the project's."""
    with tempfile.TemporaryDirectory(prefix="proxcloud-day2-") as tmp:
        dst = Path(tmp)
        for name in INPUTS:
            src = project_dir / name
            if src.is_dir():
                shutil.copytree(src, dst / name)
            elif src.is_file():
                shutil.copy2(src, dst / name)
        yield dst


_KEY = os.urandom(32)  # one digest key for every plan of this process, so secrets compare across plans
_BASE: dict[tuple[Path, str], dict[str, Any]] = {}


def base_plan(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The inputs' plan (the deployed state every scenario starts from), once per process."""
    if (project_dir, stack) not in _BASE:
        _BASE[project_dir, stack] = plan_document("proxcloud", stack, record_plan(stack, project_dir, (), _KEY))
    return _BASE[project_dir, stack]


def run(scenario: Scenario, stack: str, project_dir: Path = PROJECT_DIR) -> Preview:
    """The predicted preview of the scenario on one stack of `project_dir` (the tests pass their fixture project)."""
    with inputs_copy(project_dir) as project:
        base = base_plan(stack, project_dir)
        if scenario.deployed is not None:
            scenario.deployed(project, stack)
            base = plan_document("proxcloud", stack, record_plan(stack, project, (), _KEY))
        if scenario.edit is not None:
            scenario.edit(project, stack)
        head = plan_document("proxcloud", stack, record_plan(stack, project, scenario.rotate, _KEY))
    return classify(base, head, replace=scenario.replace, stack=stack)


def reason(preview: Preview, name: str) -> str:
    """A short why for a hazard: the step's first own change (else its first cause) and the provider source that
    makes it replace."""
    step = preview.step(name)
    if not step.reasons:
        return "deleted" if step.op == "delete" else step.op
    # a change of the resource's own inputs says more than an unknown it inherits
    first = next((r for r in step.reasons if " changes" in r.split(": ")[0]), step.reasons[0])
    cause, _, source = first.partition(": ")
    cause = cause.replace(" is unknown at preview", " unknown")
    if source.startswith("bpg/"):
        file, attribute = source.split(" ", 3)[2:]
        source = f"bpg {'/'.join(file.split('/')[-2:])} {attribute}"
    return f"{cause}: {source}" if source else cause


def _constant(text: str) -> str:
    cause = text.split(":", 1)[0]
    return re.sub(r"[^A-Z0-9]+", "_", re.sub(r"([a-z])([A-Z])", r"\1_\2", cause).upper()).strip("_")


def known_table(runs: list[tuple[Scenario, str, Preview]]) -> str:
    """The hazards found, as the Python of tests/support/day2_known_hazards.py: one constant per distinct cause,
    then per scenario and stack (hazard kind, resource name) -> cause."""
    entries = {
        (scenario.name, stack): sorted((h.kind, h.name, reason(preview, h.name)) for h in preview.hazards)
        for scenario, stack, preview in runs
    }
    causes = sorted({r for rows in entries.values() for _, _, r in rows})
    names = {r: _constant(r) for r in causes}
    assert len(set(names.values())) == len(names), "two causes, one constant name"
    lines = [f"{names[r]} = {r!r}" for r in causes]
    lines += ["", "KNOWN_HAZARDS: dict[tuple[str, str], dict[tuple[str, str], str]] = {"]
    for key, rows in entries.items():
        lines.append(f"    {key!r}: {{")
        lines += [f"        ({kind!r}, {name!r}): {names[r]}," for kind, name, r in rows]
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


def against(
    preview: Preview, known: dict[tuple[str, str], str]
) -> tuple[dict[tuple[str, str], str], list[tuple[str, str]]]:
    """The hazards found that are not in `known` (with their causes), and the known ones no longer found."""
    found = {h.key: reason(preview, h.name) for h in preview.hazards}
    return {k: v for k, v in found.items() if k not in known}, sorted(k for k in known if k not in found)


def summary(preview: Preview) -> str:
    counts = preview.counts()
    return ", ".join(f"{n} {op}" for op, n in counts.items() if n and op != "same") or "no changes"


def by_name(name: str) -> Scenario:
    found = [s for s in SCENARIOS if s.name == name]
    if not found:
        raise KeyError(f"no scenario {name!r}; scenarios: {', '.join(s.name for s in SCENARIOS)}")
    return found[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=("dev", "prod"))
    parser.add_argument("--scenario", help="one scenario by name")
    parser.add_argument("--tree", action="store_true", help="print the preview tree of each run")
    parser.add_argument(
        "--known",
        action="store_true",
        help="print the hazards found as the table of tests/support/day2_known_hazards.py",
    )
    args = parser.parse_args(argv)
    chosen = [by_name(args.scenario)] if args.scenario else list(SCENARIOS)
    found = 0
    runs = []
    for scenario in chosen:
        for stack in scenario.stacks:
            if args.stack and stack != args.stack:
                continue
            preview = run(scenario, stack)
            runs.append((scenario, stack, preview))
            found += len(preview.hazards)
            if args.known:
                continue
            print(f"== {scenario.name} ({stack}): {scenario.why}")
            print(f"   steps: {summary(preview)}")
            for s in preview.steps:
                if s.op not in ("same",) and s.res.custom:
                    mode = f" [{s.mode}]" if s.mode else ""
                    print(f"   {s.op}{mode} {s.name} ({s.type})")
            for h in preview.hazards:
                print(f"   ! {h.kind}: {h.name}: {h.message}")
            if args.tree:
                print(render(preview))
            print()
    if args.known:
        print(known_table(runs))
        return 0
    print(f"{found} hazards")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
