"""What `pulumi preview` would do, from two offline plans: the classifier behind `make diff` and the day-2 suite.

Modelled: per resource create, update (with the changed inputs), replace (create-before-delete or
delete-before-replace), delete, same; the replace-forcing attributes of tools/replace_rules.py (bpg), the plan's
own options (`replaceOnChanges` - pulumi-command's `triggers[*]` -, `ignoreChanges`, `deleteBeforeReplace`,
`replacementTrigger`), pulumi-random's every-input-replaces, the bridge's delete-before-replace for explicitly named
autonamed resources, dynamic providers' own `diff`, `pulumi up --replace` targets; unknowns at preview: an input
that carries a computed output (the plan's `computedInputs`) of a resource that is created or replaced is unknown,
and an unknown replace-forcing input plans a replace; the engine's delete-before-replace cascade (dependents whose
replace-forcing inputs depend on a resource replaced delete-first are replaced with it).
Hazards (each makes `make diff` exit 1): a protected resource replaced or deleted (pulumi/pulumi
pkg/resource/deploy/step_generator.go: `new.Protect && old.Protect` refuses the replace, `old.Protect` the delete),
a fixed-id resource replaced create-before-delete with its id unchanged, a guest replaced, a Command with a
`delete` replaced create-before-delete (the old delete runs after the new create).

Not modelled: provider defaults (an input added with its default value shows as a change), values a refresh
would rewrite (an HA move's `node_name`, a file changed on the node), computed outputs an update marks unknown,
outputs transformed beyond recognition inside an apply (a hash of an id), the default providers' configuration,
ordering hazards between steps. Aliases are followed: a resource whose former URN (options.aliasUrns) is in the
base is that resource, compared input for input, not a delete and a create.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.mockengine import REDACTED, UNKNOWN, UNKNOWN_MARKER, is_secret
from tools.replace_rules import (
    AUTONAMED,
    COMMANDS,
    DYNAMIC_PROVIDERS,
    FIXED_IDS,
    GUESTS,
    ReplaceRow,
    rows_for,
)

CREATE, UPDATE, REPLACE, DELETE, SAME = "create", "update", "replace", "delete", "same"
CBD, DBR = "create-before-delete", "delete-before-replace"

PROTECTED_REPLACE = "protected-replace"
PROTECTED_DELETE = "protected-delete"
FIXED_ID_CBD = "fixed-id-create-before-delete"
GUEST_REPLACED = "guest-replaced"
COMMAND_DELETE_UNDOES_CREATE = "command-delete-undoes-create"
HAZARD_KINDS = (PROTECTED_REPLACE, PROTECTED_DELETE, FIXED_ID_CBD, GUEST_REPLACED, COMMAND_DELETE_UNDOES_CREATE)


# ---------------------------------------------------------------------------------------------- paths and values

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def parse_path(path: str) -> list[str | int]:
    """`disks[0].importFrom` -> ["disks", 0, "importFrom"]; `[*]` stays "*"."""
    out: list[str | int] = []
    for name, index in _SEGMENT.findall(path):
        out.append(name if name else (int(index) if index != "*" else "*"))
    return out


def format_path(segments: Sequence[str | int]) -> str:
    text = ""
    for s in segments:
        text += f"[{s}]" if isinstance(s, int) or s == "*" else (f".{s}" if text else s)
    return text


def is_unknown(value: object) -> bool:
    return value is UNKNOWN or value in (UNKNOWN, UNKNOWN_MARKER)


class SecretBlind:
    """Set when two secrets could not be compared (a plan without digests): the diff says so."""

    def __init__(self) -> None:
        self.seen = False


def same(old: Any, new: Any, blind: SecretBlind | None = None) -> bool:
    """Equal as the provider would see them; secrets by digest ("[secret]" on either side cannot be compared:
    taken as equal, and `blind` notes it)."""
    if is_unknown(new):
        return False
    if is_secret(old) and is_secret(new):
        if old == REDACTED or new == REDACTED:
            if blind is not None:
                blind.seen = True
            return True
        return old == new
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(same(old[k], new[k], blind) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(same(a, b, blind) for a, b in zip(old, new, strict=True))
    return bool(old == new)


_ABSENT = object()


def changed_paths(
    old: Any, new: Any, prefix: tuple[str | int, ...] = (), blind: SecretBlind | None = None
) -> list[str]:
    """The most specific paths where `new` differs from `old` (an added or removed subtree is one path)."""
    if is_unknown(new):
        return [format_path(prefix)]
    if isinstance(old, dict) and isinstance(new, dict) and not (is_secret(old) or is_secret(new)):
        out: list[str] = []
        for k in sorted(set(old) | set(new)):
            a, b = old.get(k, _ABSENT), new.get(k, _ABSENT)
            if a is _ABSENT or b is _ABSENT:
                out.append(format_path((*prefix, k)))
            else:
                out += changed_paths(a, b, (*prefix, k), blind)
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            if i >= len(old) or i >= len(new):
                out.append(format_path((*prefix, i)))
            else:
                out += changed_paths(old[i], new[i], (*prefix, i), blind)
        return out
    return [] if same(old, new, blind) else [format_path(prefix)]


def values_at(doc: Any, pattern: Sequence[str | int], prefix: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """Concrete path -> value for a pattern with `*`; an unknown on the way is the value of its path; absent
    values are left out."""
    if is_unknown(doc):
        return {format_path(prefix): UNKNOWN}
    if not pattern:
        return {format_path(prefix): doc}
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if not isinstance(doc, list):
            return {}
        out: dict[str, Any] = {}
        for i, v in enumerate(doc):
            out.update(values_at(v, rest, (*prefix, i)))
        return out
    if isinstance(head, int):
        return values_at(doc[head], rest, (*prefix, head)) if isinstance(doc, list) and head < len(doc) else {}
    if isinstance(doc, dict) and head in doc:
        return values_at(doc[head], rest, (*prefix, head))
    return {}


def set_unknown(doc: Any, segments: Sequence[str | int]) -> Any:
    """A copy of `doc` with the value at the (concrete) path unknown."""
    if not segments:
        return UNKNOWN
    head, rest = segments[0], segments[1:]
    if isinstance(doc, dict) and isinstance(head, str):
        if head not in doc:
            return doc
        return {**doc, head: set_unknown(doc[head], rest)}
    if isinstance(doc, list) and isinstance(head, int) and head < len(doc):
        return [set_unknown(v, rest) if i == head else v for i, v in enumerate(doc)]
    return doc


def covers(pattern: str, path: str) -> bool:
    """`triggers[*]` covers `triggers[0]` (Pulumi's PropertyPath.Contains): the path is the pattern or below it."""
    p, q = parse_path(pattern), parse_path(path)
    return len(q) >= len(p) and all(a == "*" or a == b for a, b in zip(p, q, strict=False))


# ---------------------------------------------------------------------------------------------- the plans


@dataclass(frozen=True)
class Res:
    """One resource of a plan file."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    protect: bool
    inputs: dict[str, Any]
    options: dict[str, Any]
    computed: dict[str, list[str]]
    dependencies: tuple[str, ...]

    @classmethod
    def of(cls, r: dict[str, Any]) -> Res:
        return cls(
            urn=r["urn"],
            type=r["type"],
            name=r["name"],
            custom=bool(r.get("custom")),
            parent=r.get("parent"),
            protect=bool(r.get("protect")),
            inputs=r.get("inputs") or {},
            options=r.get("options") or {},
            computed=r.get("computedInputs") or {},
            dependencies=tuple(r.get("dependencies") or ()),
        )

    @property
    def has_options(self) -> bool:
        return bool(self.options)


@dataclass
class Step:
    """What the engine would do with one resource."""

    res: Res
    op: str
    mode: str | None = None  # CBD or DBR for a replace
    changed: list[str] = field(default_factory=list)  # input paths that change (or become unknown)
    unknown: list[str] = field(default_factory=list)  # input paths unknown at preview
    reasons: list[str] = field(default_factory=list)  # why a replace

    @property
    def urn(self) -> str:
        return self.res.urn

    @property
    def name(self) -> str:
        return self.res.name

    @property
    def type(self) -> str:
        return self.res.type


@dataclass(frozen=True)
class Hazard:
    kind: str
    urn: str
    name: str
    type: str
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


@dataclass
class Preview:
    stack: str
    steps: list[Step]
    hazards: list[Hazard]
    warnings: list[str]

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in (CREATE, UPDATE, REPLACE, DELETE, SAME)}
        for s in self.steps:
            out[s.op] += 1
        return out

    def by_op(self, op: str) -> list[Step]:
        return [s for s in self.steps if s.op == op]

    def step(self, name: str) -> Step:
        found = [s for s in self.steps if s.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} steps for a resource named {name}")
        return found[0]


# ---------------------------------------------------------------------------------------------- the classifier


def _dynamic_diff(type_: str, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> tuple[bool, list[str], bool]:
    """Call the dynamic provider's own diff (the engine loads the new program's provider: pulumi/dynamic/__main__.py
    `Diff` takes `__provider` from news)."""
    module, _, cls = DYNAMIC_PROVIDERS[type_].partition(":")
    provider = getattr(importlib.import_module(module), cls)()

    def wire(value: Any) -> Any:
        if is_unknown(value):
            return UNKNOWN
        if isinstance(value, dict):
            return {k: wire(v) for k, v in value.items()}
        if isinstance(value, list):
            return [wire(v) for v in value]
        return value

    result = provider.diff(urn, wire(olds), wire(news))
    return bool(result.changes), list(result.replaces or []), bool(result.delete_before_replace)


def _row_fires(row: ReplaceRow, old: dict[str, Any], new: dict[str, Any], blind: SecretBlind) -> str | None:
    """Why the row forces a replacement here, or None."""
    pattern = parse_path(row.path)
    olds, news = values_at(old, pattern), values_at(new, pattern)
    if row.kind == "change":
        for path in sorted(set(olds) | set(news)):
            a, b = olds.get(path, _ABSENT), news.get(path, _ABSENT)
            if is_unknown(b):
                return f"{path} is unknown at preview"
            if a is _ABSENT or b is _ABSENT or not same(a, b, blind):
                return f"{path} changes"
        return None
    if row.kind == "block":
        if any(is_unknown(v) for v in news.values()):
            return None  # what is inside is judged by its own rows
        a_len = {p: len(v) if isinstance(v, list) else 1 for p, v in olds.items()}
        b_len = {p: len(v) if isinstance(v, list) else 1 for p, v in news.items()}
        return f"{row.path} added or removed" if a_len != b_len else None
    if row.kind == "rule":
        return _rule_fires(row, old, new, olds, news, blind)
    return None  # state, none, engine, dynamic: evaluated elsewhere or not offline


def _rule_fires(
    row: ReplaceRow,
    old: dict[str, Any],
    new: dict[str, Any],
    olds: dict[str, Any],
    news: dict[str, Any],
    blind: SecretBlind,
) -> str | None:
    a, b = olds.get(row.path, _ABSENT), news.get(row.path, _ABSENT)
    rule = row.note.split(":", 1)[0]
    if rule == "vm-id":
        if b is _ABSENT:
            return None
        return f"{row.path} is unknown at preview" if is_unknown(b) else (f"{row.path} changes" if a != b else None)
    if rule == "node-without-migrate":
        if b is _ABSENT or (a is not _ABSENT and same(a, b, blind)):
            return None
        return None if new.get("migrate") is True else f"{row.path} changes (migrate is not set)"
    if rule == "changed":
        if a is _ABSENT or b is _ABSENT:
            return None
        return f"{row.path} is unknown at preview" if is_unknown(b) else (f"{row.path} changes" if a != b else None)
    if rule == "shrink":
        if isinstance(a, int | float) and isinstance(b, int | float) and b < a:
            return f"{row.path} shrinks ({a} -> {b})"
        return None
    raise ValueError(f"unknown rule {rule!r} in {row}")


def classify(
    base: dict[str, Any], head: dict[str, Any], replace: Iterable[str] = (), stack: str | None = None
) -> Preview:
    """What `pulumi preview` would plan for going from the `base` plan (the deployed state) to the `head` plan.

    `replace`: URNs or resource names to replace as with `pulumi up --replace`.
    """
    olds = {r["urn"]: Res.of(r) for r in base.get("resources", [])}
    news = [Res.of(r) for r in head.get("resources", [])]
    targets = set(replace)
    blind = SecretBlind()
    warnings: list[str] = []
    if olds and not any(r.has_options for r in olds.values()):
        warnings.append(
            "the base plan records no options (made before tools.plan recorded them): triggers not compared"
        )
    unknown_outputs: set[str] = set()  # created or replaced: their computed outputs are unknown at preview
    dbr_replaced: set[str] = set()
    steps: list[Step] = []
    moved: set[str] = set()  # old URNs a new resource carries as an alias: the same resource, not a delete
    for new in news:
        old = olds.get(new.urn)
        if old is None:
            old = next((olds[a] for a in new.options.get("aliasUrns") or () if a in olds), None)
            if old is not None:
                moved.add(old.urn)
        if old is None:
            steps.append(Step(new, CREATE))
            unknown_outputs.add(new.urn)
            continue
        if not new.custom:
            changed = changed_paths(old.inputs, new.inputs, blind=blind)
            steps.append(Step(new, UPDATE if changed else SAME, changed=changed))
            continue
        step = _diff_custom(old, new, unknown_outputs, dbr_replaced, new.urn in targets or new.name in targets, blind)
        steps.append(step)
        if step.op == REPLACE:
            unknown_outputs.add(new.urn)
            if step.mode == DBR:
                dbr_replaced.add(new.urn)
    head_urns = {r.urn for r in news} | moved
    for old in reversed(list(olds.values())):  # deletes run in reverse dependency order
        if old.urn not in head_urns:
            steps.append(Step(old, DELETE))
    if blind.seen:
        warnings.append(
            "some secrets could not be compared (a plan made without PROXCLOUD_PLAN_DIGEST_KEY): taken as unchanged"
        )
    return Preview(stack or head.get("stack", "?"), steps, _hazards(steps, olds), warnings)


def _diff_custom(
    old: Res, new: Res, unknown_outputs: set[str], dbr_replaced: set[str], targeted: bool, blind: SecretBlind
) -> Step:
    inputs = new.inputs
    unknown: list[str] = []
    for path, sources in sorted(new.computed.items()):
        if unknown_outputs.intersection(sources):
            inputs = set_unknown(inputs, parse_path(path))
            unknown.append(path)
    # The engine's delete-before-replace cascade: it asks the provider about a dependent with every input that
    # depends on the condemned resource unknown (step_generator.go calculateDependentReplacements).
    cascade_props = [
        k for k, urns in (old.options.get("propertyDependencies") or {}).items() if dbr_replaced.intersection(urns)
    ]
    cascade_inputs = inputs
    for k in cascade_props:
        cascade_inputs = set_unknown(cascade_inputs, [k])
    ignore = list(new.options.get("ignoreChanges") or [])
    changed = [p for p in changed_paths(old.inputs, inputs, blind=blind) if not any(covers(i, p) for i in ignore)]
    reasons: list[str] = []
    provider_dbr = False
    if new.type in DYNAMIC_PROVIDERS:
        changes, replaces, provider_dbr = _dynamic_diff(
            new.type, new.urn, old.inputs, {k: v for k, v in inputs.items() if k != "__provider"}
        )
        if not changes:
            changed = []
        reasons += [f"{k} changes (the dynamic provider's diff: {DYNAMIC_PROVIDERS[new.type]})" for k in replaces]
    else:
        for row in rows_for(new.type):
            why = _row_fires(row, old.inputs, inputs, blind)
            if why is None and cascade_props and any(covers(k, row.path) for k in cascade_props):
                why = _row_fires(row, old.inputs, cascade_inputs, blind)
                if why is not None:
                    why += " (delete-before-replace of a dependency)"
            if why is not None and not any(covers(i, row.path) for i in ignore):
                reasons.append(f"{why}: {row.source}")
        if new.type in AUTONAMED and isinstance(inputs.get("name"), str):
            provider_dbr = True
    for pattern in new.options.get("replaceOnChanges") or []:
        hit = [p for p in changed if covers(pattern, p)]
        if hit:
            reasons.append(f"{', '.join(hit)} changes: replaceOnChanges {pattern!r}")
    old_trigger, new_trigger = old.options.get("replacementTrigger"), new.options.get("replacementTrigger")
    if old.has_options and new.has_options and old_trigger != new_trigger:
        reasons.append("the replacementTrigger changes")
    elif new_trigger == UNKNOWN_MARKER:
        reasons.append("the replacementTrigger is unknown at preview")
    if targeted:
        reasons.append("targeted with --replace")
    if not reasons:
        return Step(new, UPDATE if changed else SAME, changed=changed, unknown=unknown)
    option = new.options.get("deleteBeforeReplace")
    dbr = option if option is not None else provider_dbr
    if cascade_props and any("delete-before-replace of a dependency" in r for r in reasons):
        dbr = True  # deleted first, with the dependency
    return Step(new, REPLACE, DBR if dbr else CBD, changed=changed, unknown=unknown, reasons=reasons)


def _id_values(res: Res, paths: Sequence[str]) -> list[Any]:
    out = []
    for p in paths:
        found = values_at(res.inputs, parse_path(p))
        out.append(next(iter(found.values()), None))
    return out


def _hazards(steps: list[Step], olds: dict[str, Res]) -> list[Hazard]:
    hazards: list[Hazard] = []

    def add(step: Step, kind: str, message: str) -> None:
        hazards.append(Hazard(kind, step.urn, step.name, step.type, message))

    for step in steps:
        old = olds.get(step.urn)
        if step.op == DELETE and step.res.protect:
            add(step, PROTECTED_DELETE, "protected and deleted: `pulumi preview` stops with the protection error")
        if step.op != REPLACE or old is None:
            continue
        why = "; ".join(step.reasons)
        if step.res.protect and old.protect:
            add(
                step,
                PROTECTED_REPLACE,
                f"protected and replaced ({why}): `pulumi preview` stops with 'unable to replace resource ... "
                "marked for protection'",
            )
        if step.mode == CBD and step.type in FIXED_IDS:
            paths, what = FIXED_IDS[step.type]
            before, after = _id_values(old, paths), _id_values(step.res, paths)
            if all(same(a, b) or is_unknown(b) for a, b in zip(before, after, strict=True)):
                add(
                    step,
                    FIXED_ID_CBD,
                    f"replaced create-before-delete under the same {what} ({why}): the create fails with 'already "
                    "exists', or succeeds and the old resource's delete then removes it",
                )
        if step.type in GUESTS:
            add(step, GUEST_REPLACED, f"guest replaced ({why}): destroyed and created again from the image")
        if step.type in COMMANDS and step.mode == CBD and old.inputs.get("delete"):
            add(
                step,
                COMMAND_DELETE_UNDOES_CREATE,
                f"replaced create-before-delete ({why}): the new create runs, then the old `delete` undoes it",
            )
    return hazards


# ---------------------------------------------------------------------------------------------- rendering

SYMBOL = {CREATE: "+", UPDATE: "~", REPLACE: "+-", DELETE: "-", SAME: " "}


def render(preview: Preview, title: str = "", show_sames: bool = False) -> str:
    """A `pulumi preview`-like tree (changed resources and their ancestors), a summary, hazards and warnings."""
    steps = preview.steps
    by_urn = {s.urn: s for s in steps}
    shown = {s.urn for s in steps if show_sames or s.op != SAME}
    for urn in list(shown):
        parent = by_urn[urn].res.parent
        while parent and parent in by_urn and parent not in shown:
            shown.add(parent)
            parent = by_urn[parent].res.parent
    children: dict[str | None, list[Step]] = {}
    for s in steps:
        if s.urn in shown:
            parent = s.res.parent if s.res.parent in by_urn else None
            children.setdefault(parent, []).append(s)
    flagged = {h.urn for h in preview.hazards}
    rows: list[tuple[str, str, str, str, str, str]] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, s in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            info = _info(s)
            rows.append(
                ("!" if s.urn in flagged else " ", SYMBOL[s.op], prefix + branch + s.type, s.name, _plan_word(s), info)
            )
            walk(s.urn, prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    lines = [title] if title else []
    if rows:
        w_type = max(len(r[2]) for r in rows)
        w_name = max(len(r[3]) for r in rows)
        w_plan = max(len(r[4]) for r in rows)
        lines.append(f"     {'Type':<{w_type}}  {'Name':<{w_name}}  {'Plan':<{w_plan}}  Info")
        for flag, sym, typ, name, word, info in rows:
            lines.append(f" {flag}{sym:<2} {typ:<{w_type}}  {name:<{w_name}}  {word:<{w_plan}}  {info}".rstrip())
    counts = preview.counts()
    lines += ["", "Resources:"]
    for op, label in ((CREATE, "to create"), (UPDATE, "to update"), (REPLACE, "to replace"), (DELETE, "to delete")):
        if counts[op]:
            lines.append(f"    {SYMBOL[op]:<2} {counts[op]} {label}")
    changes = counts[CREATE] + counts[UPDATE] + counts[REPLACE] + counts[DELETE]
    lines.append(f"    {changes} changes. {counts[SAME]} unchanged")
    replaced = [s for s in steps if s.op == REPLACE]
    if replaced:
        lines += ["", "Replacements (why):"]
        for s in replaced:
            lines.append(f"    +- {s.name} [{s.mode}]")
            lines += [f"         {r}" for r in s.reasons]
    if preview.hazards:
        lines += ["", f"Hazards ({len(preview.hazards)}):"]
        for h in preview.hazards:
            lines.append(f"    ! {h.kind}: {h.name} ({h.type})")
            lines.append(f"         {h.message}")
    else:
        lines += ["", "No hazards."]
    if preview.warnings:
        lines += ["", "Warnings:"] + [f"    {w}" for w in preview.warnings]
    return "\n".join(lines)


def _plan_word(s: Step) -> str:
    return {REPLACE: f"replace ({s.mode})"}.get(s.op, s.op if s.op != SAME else "")


def _info(s: Step) -> str:
    if s.op in (UPDATE, REPLACE) and s.changed:
        tops = sorted({str(parse_path(p)[0]) for p in s.changed if parse_path(p)})
        unknown = {str(parse_path(p)[0]) for p in s.unknown}
        marks = [f"~{t}{' (unknown)' if t in unknown else ''}" for t in tops]
        return f"[diff: {', '.join(marks)}]"
    if s.op == REPLACE:
        return "[replace without an input change]"
    return ""


def hazard_lines(preview: Preview) -> Iterator[str]:
    for h in preview.hazards:
        yield f"{h.kind}: {h.name}: {h.message}"
