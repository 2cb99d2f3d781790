"""`make bench`: how planning scales with the number of tenants, against the SDK floor.

For 1, 10, 100 and 1000 generated tenants, each size in a fresh subprocess (so peak RSS is per size), it runs
the real `__main__.py` under the recording mock engine and measures resources, wall time (spec load vs.
Pulumi registration), peak RSS and the depth and width of the dependency graph. The SDK floor is the same
number of bare resources of the same type tokens (minimal required inputs, no parents, no dependencies),
registered under the same mocks in the same kind of subprocess. The table goes to stdout and, after a run of
every size, into docs/performance.md, between markers, so the hand-written reading there survives a re-run; a run
of some sizes only (`make bench SIZES=1,10,100`) is a quick look and writes nothing.

`--shards 10x100` plans ten stacks of 100 tenants each (distinct tenant numbers), each in its own process, one
after the other and then two at a time: the cost of splitting one large stack (docs/performance.md, Past one stack).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import itertools
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from tools.mockengine import PROJECT_DIR, Recording, stack_config

SIZES = (1, 10, 100, 1000)
STACK = "dev"
# Setup B puts every dedicated VM on /30 number (tenant number * 100 + slot) of these pools: 1000 tenants need
# more than the dev stack's /16 and /48. Both lie outside the tenant CIDRs (10.1-8.x.0/24) and the underlay.
HOSTING = {"ipv4Pool": "172.16.0.0/12", "ipv6Pool": "2001:db8:200::/40"}
HOSTED_TENANTS = 40  # tenants whose extra VMs sit on dedicated networks (VLAN ids end at 4094)
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMx9l0yq1Zk3n4c1b2v3c4d5e6f7g8h9i0j1k2l3m4n5 bench@proxcloud"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
DOC = PROJECT_DIR / "docs" / "performance.md"
STACK_TYPE = "pulumi:pulumi:Stack"
RATIO_TARGET = 1.3  # ours/floor at every size (issue 18)
RSS_TARGET = 1.5  # peak RSS ours/floor at the largest size
RSS_TARGET_SIZE = 1000
LINEAR_EXPONENT = 1.05

# --- the tenant generator ------------------------------------------------------------------------------------


def letters(n: int, width: int = 3) -> str:
    """`n` as `width` lower-case letters (a=0): person names allow letters only, so numbers are spelled."""
    if not 0 <= n < 26**width:
        raise ValueError(f"{n} does not fit in {width} letters")
    out = ""
    for _ in range(width):
        n, digit = divmod(n, 26)
        out = chr(ord("a") + digit) + out
    return out


def tenant_cidr(number: int, k: int) -> str:
    """VNet k (0, 1) of tenant `number`: consecutive /24s from 10.1.0.0 on, clear of the underlay 10.99.0.0/24."""
    index = 2 * (number - 1) + k
    return f"10.{1 + index // 256}.{index % 256}.0/24"


def tenant_document(number: int) -> dict[str, Any]:
    """One tenant: 2 VNets, 1-2 users, 2 VMs on the VNets (static addresses) and 1-2 dedicated-network VMs.

    Odd numbers are self-service (setup D) with one user and one dedicated VM; even ones operator (setup B) with
    two users and two dedicated VMs. Every id is derived from the number, so all are unique up to 9999 tenants.
    """
    name = f"t{number:04d}"
    code = letters(number)
    self_service = number % 2 == 1
    web, db = f"w{number}", f"d{number}"
    users = [{"name": f"ada.{code}", "email": f"ada@{name}.example.org"}]
    if not self_service:
        users.append({"name": f"bob.{code}"})
    vms: list[dict[str, Any]] = [
        {"name": f"{name}-web", "slot": 1, "role": "web", "vnet": web, "address": tenant_cidr(number, 0)[:-4] + "10"},
        {"name": f"{name}-db", "slot": 2, "role": "db", "vnet": db, "address": tenant_cidr(number, 1)[:-4] + "10"},
        {"name": f"{name}-app", "slot": 3, "role": "app", "ssh_keys": [SSH_KEY]},
    ]
    if not self_service:
        vms.append(
            {"name": f"{name}-extra", "slot": 4, "role": "app", "stateful": False, "stateless_reason": "benchmark"}
        )
    if number > HOSTED_TENANTS:  # hosted nets are VLANs (tenant number * 100 + slot <= 4094): the rest use VNets
        for i, v in enumerate(vms[2:], start=20):
            v.update(vnet=web, address=tenant_cidr(number, 0)[:-4] + str(i))
    doc: dict[str, Any] = {
        "name": name,
        "number": number,
        "description": f"benchmark tenant {number}",
        "access": "self-service" if self_service else "operator",
        "users": users,
        "zone": {"id": f"z{number}"},
        "vnets": [
            {"id": web, "cidr": tenant_cidr(number, 0), "description": "web tier"},
            {"id": db, "cidr": tenant_cidr(number, 1), "description": "db tier"},
        ],
        "vms": vms,
    }
    return doc  # self-service tenants get their own <name>-iso / <name>-disks storages (model/storage.py)


def generate_tenants(count: int, folder: Path, first: int = 1) -> list[Path]:
    """Write the tenant files of numbers first, first+1, ... (t0001.yaml ...) into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + count):
        path = folder / f"t{number:04d}.yaml"
        path.write_text(yaml.safe_dump(tenant_document(number), sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def bench_config(tenants_dir: Path) -> dict[str, str]:
    """The dev stack's config with the generated tenants and pools large enough for them."""
    config = stack_config(STACK)
    config["proxcloud:tenantsDir"] = str(tenants_dir.resolve())
    config["proxcloud:hosting"] = json.dumps(HOSTING)
    config.pop("proxcloud:publicAddresses", None)  # names the shipped tenants
    return config


# --- graph shape --------------------------------------------------------------------------------------------


def graph_levels(edges: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Level of each node: 1 without predecessors, else 1 + the highest level among them.

    `edges[node]` lists what `node` waits for (its dependencies and its parent). Iterative, so a long chain
    cannot hit the recursion limit; a cycle or an edge to an unknown node is an error, not a guess.
    """
    levels: dict[str, int] = {}
    on_path: set[str] = set()
    for start in edges:
        if start in levels:
            continue
        stack: list[tuple[str, list[str]]] = [(start, list(edges[start]))]
        on_path.add(start)
        while stack:
            node, pending = stack[-1]
            while pending and pending[-1] in levels:
                pending.pop()
            if pending:
                nxt = pending.pop()
                if nxt not in edges:
                    raise ValueError(f"{node} waits for {nxt}, which is not in the graph")
                if nxt in on_path:
                    raise ValueError(f"cycle through {nxt}")
                on_path.add(nxt)
                stack.append((nxt, list(edges[nxt])))
                pending.append(nxt)  # revisit: its level is read once it is known
                continue
            stack.pop()
            on_path.discard(node)
            levels[node] = 1 + max((levels[p] for p in edges[node]), default=0)
    return levels


def depth_width(levels: Mapping[str, int]) -> tuple[int, int]:
    """Depth: resources on the longest chain. Width: the most resources sharing one level."""
    if not levels:
        return 0, 0
    return max(levels.values()), max(Counter(levels.values()).values())


def recording_edges(recording: Recording) -> dict[str, list[str]]:
    """What each registration waits for: its dependencies and its parent."""
    return {r.urn: sorted(set(r.dependencies) | ({r.parent} if r.parent else set())) for r in recording.resources}


def graph_shape(recording: Recording) -> tuple[int, int]:
    return depth_width(graph_levels(recording_edges(recording)))


# --- the SDK floor ------------------------------------------------------------------------------------------

Census = list[tuple[str, bool, int]]  # (type token, custom, count), JSON-friendly


def census(recording: Recording) -> Census:
    """How many registrations of each type, without the stack itself (every run registers one)."""
    counts = Counter((r.type, r.custom) for r in recording.resources if r.type != STACK_TYPE)
    return [(t, custom, n) for (t, custom), n in sorted(counts.items())]


def resource_class(token: str) -> type:
    """The SDK class behind a type token: proxmoxve:sdn/zone/vxlan:Vxlan -> pulumi_proxmoxve.sdn.zone.Vxlan."""
    package, module, name = token.split(":")
    if package == "pulumi" and module == "providers":
        return importlib.import_module(f"pulumi_{name}").Provider
    obj: Any = importlib.import_module(f"pulumi_{package}")
    parts = module.split("/")
    for part in parts[:-1] if len(parts) > 1 else parts:  # "sdn/zone/vxlan" -> sdn.zone; "remote" -> remote
        if part != "index":
            obj = getattr(obj, part)
    cls = getattr(obj, name)
    if not inspect.isclass(cls):
        raise TypeError(f"{token} does not name a class")
    return cls


_REQUIRED = re.compile(r"Missing required property '(\w+)'")


def required_inputs(cls: type) -> list[str]:
    """The inputs the generated SDK class refuses to go without (it raises before registering)."""
    return _REQUIRED.findall(inspect.getsource(cls._internal_init))  # type: ignore[attr-defined]


FloorPlan = list[tuple[str, type | None, dict[str, str], int]]


def floor_plan(types: Census) -> FloorPlan:
    """Resolve classes and minimal inputs up front, so the timed part only registers."""
    plan: FloorPlan = []
    for token, custom, count in types:
        if custom and token.startswith("pulumi-python:dynamic"):
            plan.append((token, DYNAMIC, {}, count))  # a dynamic provider's resource: a bare custom resource
        elif custom:
            cls = resource_class(token)
            plan.append((token, cls, dict.fromkeys(required_inputs(cls), "floor"), count))
        else:
            plan.append((token, None, {}, count))
    return plan


DYNAMIC = type("DynamicFloor", (), {})  # marker: register as pulumi.CustomResource of the same token


def build_floor(plan: FloorPlan) -> None:
    """Register `count` bare resources per type: no parent, no dependencies, no component children.

    Components are registered as bare ComponentResources of the same token, so the engine sees the same number
    of registrations of each type as for the real program.
    """
    import pulumi

    for token, cls, inputs, count in plan:
        for i in range(count):
            if cls is None:
                pulumi.ComponentResource(token, f"r{i}")
            elif cls is DYNAMIC:
                pulumi.CustomResource(token, f"r{i}", {})
            else:
                cls(f"r{i}", **inputs)


# --- the measuring child ------------------------------------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child_program(tenants_dir: Path, warm_dir: Path | None) -> dict[str, Any]:
    """Plan the generated tenants once, after a 1-tenant warm-up (imports, lazy SDK modules, regex caches) unless
    `warm_dir` is None (a shard: cold, like one `pulumi preview` of its own)."""
    from tools.mockengine import run_program

    if warm_dir is not None:
        run_program(STACK, config=bench_config(warm_dir))
    import model.load

    spent = [0.0]
    original = model.load.load_platform

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    model.load.load_platform = timed_load  # __main__ imports it by name when run, so it gets this one
    config = bench_config(tenants_dir)
    gc.collect()
    rss_before = _peak_rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    recording = run_program(STACK, config=config)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    model.load.load_platform = original
    depth, width = graph_shape(recording)
    return {
        "resources": len(recording.resources),
        "wall": wall,
        "cpu": cpu,
        "spec": spent[0],
        "register": wall - spent[0],
        "depth": depth,
        "width": width,
        "rss_before": rss_before,
        "rss": _peak_rss_mib(),
        "census": census(recording),
    }


def child_floor(types: Census) -> dict[str, Any]:
    """Register the floor once after a warm-up with one resource of each type."""
    from tools.mockengine import run_function

    config = stack_config(STACK)
    warm = floor_plan([(t, c, 1) for t, c, _ in types])
    run_function(lambda: build_floor(warm), STACK, config=config)
    plan = floor_plan(types)
    gc.collect()
    rss_before = _peak_rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    recording = run_function(lambda: build_floor(plan), STACK, config=config)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    depth, width = graph_shape(recording)
    return {
        "resources": len(recording.resources),
        "wall": wall,
        "cpu": cpu,
        "depth": depth,
        "width": width,
        "rss_before": rss_before,
        "rss": _peak_rss_mib(),
    }


def _child_main(args: argparse.Namespace) -> int:
    if args.gc_threshold:
        # An experiment: what `gc.set_threshold` at the top of __main__.py would give (docs/performance.md).
        gc.set_threshold(*(int(x) for x in args.gc_threshold.split(",")))
    if args.child == "program":
        result = child_program(Path(args.tenants_dir), Path(args.warm_dir) if args.warm_dir else None)
    else:
        result = child_floor([tuple(x) for x in json.loads(Path(args.census).read_text())])
    Path(args.result).write_text(json.dumps(result))
    return 0


def _child_command(result: Path, kind: str, **options: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "tools.bench", "--child", kind, "--result", str(result)]
    for key, value in options.items():
        if value is not None:
            cmd += [f"--{key.replace('_', '-')}", value]
    return cmd


def _spawn(work: Path, kind: str, **options: str | None) -> dict[str, Any]:
    result = work / f"result-{kind}.json"
    subprocess.run(_child_command(result, kind, **options), cwd=PROJECT_DIR, check=True)
    return json.loads(result.read_text())


def _spawn_many(commands: Sequence[list[str]], parallel: int) -> list[float]:
    """Run the commands, at most `parallel` at a time, in order; returns each one's elapsed seconds."""
    elapsed = [0.0] * len(commands)
    running: list[tuple[int, subprocess.Popen[bytes], float]] = []
    queue = list(enumerate(commands))
    while queue or running:
        while queue and len(running) < parallel:
            index, cmd = queue.pop(0)
            running.append((index, subprocess.Popen(cmd, cwd=PROJECT_DIR), time.perf_counter()))
        time.sleep(0.05)
        for job in [j for j in running if j[1].poll() is not None]:
            index, proc, started = job
            running.remove(job)
            if proc.returncode != 0:
                raise RuntimeError(f"{' '.join(commands[index])} failed with exit code {proc.returncode}")
            elapsed[index] = time.perf_counter() - started
    return elapsed


# --- the parent: sizes, repetitions, table, doc --------------------------------------------------------------


def measure(size: int, work: Path, warm_dir: Path, reps: int, gc_threshold: str | None = None) -> dict[str, Any]:
    """`reps` program runs and `reps` floor runs, each in its own process; medians of times, max of RSS."""
    tenants_dir = work / f"tenants-{size}"
    if not tenants_dir.is_dir():
        generate_tenants(size, tenants_dir)
    programs, floors = [], []
    for _ in range(reps):
        programs.append(
            _spawn(work, "program", tenants_dir=str(tenants_dir), warm_dir=str(warm_dir), gc_threshold=gc_threshold)
        )
        census_file = work / f"census-{size}.json"
        census_file.write_text(json.dumps(programs[0]["census"]))
        floors.append(_spawn(work, "floor", census=str(census_file), gc_threshold=gc_threshold))
    first = programs[0]
    if any(p["census"] != first["census"] for p in programs) or floors[0]["resources"] != first["resources"]:
        raise RuntimeError(f"{size} tenants: runs registered different resources")
    row = {
        "tenants": size,
        "reps": reps,
        "resources": first["resources"],
        "depth": first["depth"],
        "width": first["width"],
        "floor_depth": floors[0]["depth"],
    }
    for key in ("wall", "spec", "register"):
        row[key] = statistics.median(p[key] for p in programs)
    row["floor"] = statistics.median(f["wall"] for f in floors)
    row["ratio"] = row["wall"] / row["floor"]
    # CPU time as well: on a shared machine the wall time also measures the neighbours (docs/performance.md)
    row["cpu_ratio"] = statistics.median(p["cpu"] for p in programs) / statistics.median(f["cpu"] for f in floors)
    row["register_ratio"] = row["register"] / row["floor"]
    row["rss"] = max(p["rss"] for p in programs)
    row["rss_base"] = max(p["rss_before"] for p in programs)
    row["floor_rss"] = max(f["rss"] for f in floors)
    return row


# --- shards: several stacks instead of one -------------------------------------------------------------------


def parse_shards(text: str) -> tuple[int, int]:
    """`10x100` -> (10 shards, 100 tenants each)."""
    found = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not found or int(found.group(1)) < 1 or int(found.group(2)) < 1:
        raise ValueError(f"--shards {text!r}: expected COUNTxTENANTS with both at least 1, e.g. --shards 10x100")
    count, size = int(found.group(1)), int(found.group(2))
    if count * size > 9999:
        raise ValueError(f"--shards {text}: {count * size} tenants; the generator numbers at most 9999")
    return count, size


def shard_first(shard: int, size: int) -> int:
    """The first tenant number of shard `shard` (0-based): shards hold consecutive, disjoint numbers."""
    return shard * size + 1


def measure_shards(count: int, size: int, work: Path, parallels: Sequence[int] = (1, 2)) -> list[dict[str, Any]]:
    """Plan `count` stacks of `size` tenants, each a cold process of its own (no warm-up: one `pulumi preview`
    each), first one at a time, then `parallel` at a time; elapsed is the wall time of the whole batch."""
    dirs = []
    for shard in range(count):
        folder = work / f"shard-{size}-{shard}"
        if not folder.is_dir():
            generate_tenants(size, folder, first=shard_first(shard, size))
        dirs.append(folder)
    runs = []
    for parallel in parallels:
        results = [work / f"shard-{parallel}-{shard}.json" for shard in range(count)]
        commands = [_child_command(r, "program", tenants_dir=str(d)) for r, d in zip(results, dirs, strict=True)]
        print(f"planning {count} shards of {size} tenants, {parallel} at a time ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        process = _spawn_many(commands, parallel)
        elapsed = time.perf_counter() - started
        children = [json.loads(r.read_text()) for r in results]
        runs.append(summarise_shards(count, size, parallel, elapsed, process, children))
    return runs


def summarise_shards(
    count: int,
    size: int,
    parallel: int,
    elapsed: float,
    process: Sequence[float],
    children: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """One batch: elapsed wall time, the sum of the processes' times, per-shard plan time and peak RSS."""
    return {
        "shards": count,
        "tenants": size,
        "parallel": parallel,
        "elapsed": elapsed,
        "process": sum(process),
        "cpu": sum(c["cpu"] for c in children),
        "plan": statistics.median(c["wall"] for c in children),
        "plan_max": max(c["wall"] for c in children),
        "rss": max(c["rss"] for c in children),
        "resources": sum(c["resources"] for c in children),
        "load": os.getloadavg()[0],
    }


def render_shards(runs: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "| shards x tenants | at a time | elapsed s | sum of process s | plan CPU s (sum) | "
        "plan s per shard (median, max) | peak RSS MiB per shard (max) | resources (all shards) | load (1 min) |"
    )
    lines = [head, "|" + "|".join(["---:"] * (head.count("|") - 1)) + "|"]
    for r in runs:
        lines.append(
            f"| {r['shards']} x {r['tenants']} | {r['parallel']} | {r['elapsed']:.1f} | {r['process']:.1f} | "
            f"{r['cpu']:.1f} | {r['plan']:.1f}, {r['plan_max']:.1f} | {r['rss']:.0f} | {r['resources']} | "
            f"{r['load']:.1f} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    cpu = "unknown"
    mem = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        cpu = found.group(1).strip() if found else cpu
        found = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        mem = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else mem
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "pulumi": version("pulumi"),
        "pulumi-proxmoxve": version("pulumi-proxmoxve"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load (1/5/15 min, at the end)": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def render_table(rows: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "| tenants | resources | plan s | spec load s | registration s | floor s | ours/floor | "
        "registration/floor | CPU ours/floor | us/resource | peak RSS MiB (before run) | floor RSS MiB | RSS/floor | "
        f"depth | width | ours/floor <= {RATIO_TARGET} |"
    )
    lines = [head, "|" + "|".join(["---:"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        lines.append(
            f"| {r['tenants']} | {r['resources']} | {r['wall']:.3f} | {r['spec']:.3f} | {r['register']:.3f} | "
            f"{r['floor']:.3f} | {r['ratio']:.2f} | {r['register_ratio']:.2f} | {r['cpu_ratio']:.2f} | "
            f"{1e6 * r['wall'] / r['resources']:.0f} | {r['rss']:.0f} ({r['rss_base']:.0f}) | {r['floor_rss']:.0f} | "
            f"{r['rss'] / r['floor_rss']:.2f} | {r['depth']} | {r['width']} | "
            f"{'met' if r['ratio'] <= RATIO_TARGET else 'MISSED'} |"
        )
    return "\n".join(lines)


def exponents(rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, float]]:
    """Growth exponent of plan time between consecutive sizes: 1.0 is linear, 2.0 quadratic."""
    out = []
    for a, b in itertools.pairwise(rows):
        out.append(
            (a["tenants"], b["tenants"], math.log(b["wall"] / a["wall"]) / math.log(b["tenants"] / a["tenants"]))
        )
    return out


def verdict(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The targets, checked against this run."""
    lines = []
    worst = max(rows, key=lambda r: r["ratio"])
    ok = worst["ratio"] <= RATIO_TARGET
    missing = sorted(set(SIZES) - {r["tenants"] for r in rows})
    lines.append(
        f"- ours/floor <= {RATIO_TARGET} at {', '.join(map(str, SIZES))} tenants: {'met' if ok else 'MISSED'} "
        f"(worst {worst['ratio']:.2f} at {worst['tenants']} tenants"
        + (f"; not measured at {', '.join(map(str, missing))})" if missing else ")")
        + "; CPU time ours/floor "
        + ", ".join(f"{r['cpu_ratio']:.2f}" for r in rows)
    )
    big = [r for r in rows if r["tenants"] == RSS_TARGET_SIZE]
    if big:
        share = big[0]["rss"] / big[0]["floor_rss"]
        lines.append(
            f"- peak RSS <= {RSS_TARGET} x the floor's at {RSS_TARGET_SIZE} tenants: "
            f"{'met' if share <= RSS_TARGET else 'MISSED'} ({big[0]['rss']:.0f} vs. {big[0]['floor_rss']:.0f} MiB, "
            f"{share:.2f})"
        )
    else:
        lines.append(
            f"- peak RSS <= {RSS_TARGET} x the floor's at {RSS_TARGET_SIZE} tenants: not measured "
            f"(no {RSS_TARGET_SIZE}-tenant run)"
        )
    grow = exponents(rows)
    if grow:
        text = ", ".join(f"{a}->{b}: {k:.2f}" for a, b, k in grow)
        # Every step counts (fixed costs can only pull an exponent below 1, never above): 1.05 lets the time per
        # resource grow by at most 12% over a tenfold size.
        ok = max(k for _, _, k in grow) <= LINEAR_EXPONENT
        lines.append(f"- time linear in tenants: {'met' if ok else 'MISSED'} (growth exponents {text}; 1.00 = linear)")
    depths = {r["tenants"]: r["depth"] for r in rows}
    ok = len(set(depths.values())) == 1
    lines.append(
        f"- depth independent of tenants: {'met' if ok else 'MISSED'} "
        f"({', '.join(f'{n}: {d}' for n, d in depths.items())})"
    )
    return lines


def report(rows: Sequence[Mapping[str, Any]], info: Mapping[str, str], total: float) -> str:
    lines = [
        f"Measured by `make bench` on {info['date']} in {total:.0f} s.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items()),
        "",
        render_table(rows),
        "",
        f"Times are medians of {', '.join(str(r['reps']) for r in rows)} run(s) per size, each in a fresh process "
        "after an in-process warm-up; peak RSS is the process maximum (in brackets: before the measured run). "
        "The targets are judged on wall time; CPU ours/floor (process time) is the same ratio without the "
        "neighbours' share of a busy machine.",
        "",
        *verdict(rows),
    ]
    return "\n".join(lines)


def write_doc(text: str, doc: Path = DOC) -> None:
    """Replace the measured part between the markers; keep everything else (the hand-written reading)."""
    block = f"{BEGIN}\n{text}\n{END}"
    if doc.is_file():
        old = doc.read_text(encoding="utf-8")
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            doc.write_text(head + block + rest.split(END, 1)[1], encoding="utf-8")
            return
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"# Performance of the plan\n\n{block}\n", encoding="utf-8")


def default_reps(size: int) -> int:
    """Fewer repetitions for the big sizes keep `make bench` within minutes on two cores."""
    return 3 if size < 100 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="tenant counts, comma separated")
    parser.add_argument("--reps", type=int, default=None, help="runs per size (default: 3, 1 above 100 tenants)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument(
        "--gc-threshold",
        help="experiment: gc.set_threshold(a,b,c) in every measuring process (program and floor); implies --no-write",
    )
    parser.add_argument(
        "--shards",
        help="COUNTxTENANTS, e.g. 10x100: plan that many stacks, each in its own process, one and two at a time "
        "(implies --no-write)",
    )
    parser.add_argument("--child", choices=("program", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--tenants-dir", help=argparse.SUPPRESS)
    parser.add_argument("--warm-dir", help=argparse.SUPPRESS)
    parser.add_argument("--census", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args)
    try:
        found = re.fullmatch(r"\s*\d+(\s*,\s*\d+)*\s*", args.sizes)
        sizes = sorted({int(s) for s in args.sizes.split(",")}) if found else []
        if not sizes or sizes[0] < 1:
            raise ValueError(f"--sizes {args.sizes!r}: expected tenant counts of at least 1, e.g. --sizes 1,10,100")
        shards = parse_shards(args.shards) if args.shards else None
    except ValueError as exc:
        print(f"tools.bench: {exc}", file=sys.stderr)
        return 2
    if shards:
        with tempfile.TemporaryDirectory(prefix="proxcloud-bench-") as tmp:
            runs = measure_shards(*shards, Path(tmp))
        print(render_shards(runs))
        print("\n" + "\n".join(f"| {k} | {v} |" for k, v in machine().items()))
        return 0
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="proxcloud-bench-") as tmp:
        work = Path(tmp)
        warm_dir = work / "tenants-1"
        generate_tenants(1, warm_dir)
        for size in sizes:
            reps = args.reps or default_reps(size)
            print(f"measuring {size} tenant(s), {reps} run(s) ...", file=sys.stderr, flush=True)
            rows.append(measure(size, work, warm_dir, reps, args.gc_threshold))
    info = machine()
    if args.gc_threshold:
        info["GC thresholds"] = args.gc_threshold
    text = report(rows, info, time.perf_counter() - started)
    print(text)
    if args.no_write or args.gc_threshold:
        return 0
    if set(sizes) != set(SIZES):
        print(
            f"\nquick look ({', '.join(map(str, sizes))} tenants, not every size of {', '.join(map(str, SIZES))}): "
            f"{DOC.relative_to(PROJECT_DIR)} left alone",
            file=sys.stderr,
        )
        return 0
    write_doc(text)
    print(f"\nwrote {DOC.relative_to(PROJECT_DIR)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
