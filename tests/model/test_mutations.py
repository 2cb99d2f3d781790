"""Property: any one mutation of the shipped inputs - a tenant file or Pulumi.dev.yaml, field by field - is either
still valid input and plans, or is refused with exit 2: no traceback, the file and the field named, a fix on every
line, no plan written. Harmless edits (key order, comments, quoting) plan to the very same platform.

Most cases stop where the program stops for bad input (the spec load, `bad_input.load`); whatever loads is planned
in full (that is where a renderer or component could still crash), and a sample of the refused ones too, through
the real `make plan` entry point.
"""

from __future__ import annotations

import copy
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.files import path_text
from tests.support.bad_input import Outcome, copy_inputs, load, plan
from tests.support.stacks import FIXTURE_PROJECT

pytestmark = pytest.mark.slow  # hypothesis: the program planned for each mutation

FILES = [f"tenants/{p.name}" for p in sorted((FIXTURE_PROJECT / "tenants").glob("*.yaml"))] + ["Pulumi.dev.yaml"]
ORIGINAL = {name: (FIXTURE_PROJECT / name).read_text(encoding="utf-8") for name in FILES}
DATA = {name: yaml.safe_load(text) for name, text in ORIGINAL.items()}

# Characters nobody can see or that change how text reads: controls, zero-width, bidi marks and overrides,
# line/paragraph separators, the BOM, a non-breaking space.
INVISIBLE = [
    "\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u00a0", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u2028", "\u2029",
    "\ufeff",
]  # fmt: skip
SWAPS = [True, False, 0, -1, 1.5, 10**30, "1", "true", [], {}, ["x"], {"x": 1}, "", None]
PROBLEM_LINE = re.compile(r"(?P<file>(?:tenants/\S+\.ya?ml|Pulumi\.dev\.yaml)): (?P<field>.+?): .+ \(fix: .+\)")


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every mapping key and list item below `prefix`."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out += paths(value, (*prefix, key))
    return out


def mutable_paths(name: str) -> list[tuple[Any, ...]]:
    if name != "Pulumi.dev.yaml":
        return paths(DATA[name])
    config = DATA[name]["config"]  # only our namespace: the provider's own keys are not the program's to check
    return [p for key in config if key.startswith("proxcloud:") for p in paths({key: config[key]}, ("config",))]


PATHS = {name: mutable_paths(name) for name in FILES}


def user_field(name: str, path: tuple[Any, ...]) -> str:
    """The field as messages name it: `vnets[0].cidr`; in the stack config `proxcloud:nodes[0].name`."""
    return path_text(path[1:] if name == "Pulumi.dev.yaml" else path)


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def bomb(indent: str) -> str:
    return "".join(f"{indent}- &b{i} [{', '.join([f'*b{i - 1}' if i else 'x'] * 9)}]\n" for i in range(10))


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, Any, bytes]:
    """(file, kind, detail, new bytes of the file)."""
    name = draw(st.sampled_from(FILES))
    text = ORIGINAL[name]
    kind = draw(
        st.sampled_from(
            ["delete", "null", "swap", "empty", "huge", "invisible", "text", "rename", "duplicate", "alias", "encoding"]
        )
    )
    if kind == "duplicate":  # a `key: value` line written twice
        lines = text.splitlines(keepends=True)
        keyed = [i for i, line in enumerate(lines) if re.match(r"\s*[A-Za-z_][\w:.\-]*:(\s|$)", line)]
        i = draw(st.sampled_from(keyed))
        return name, kind, lines[i].strip(), "".join(lines[: i + 1] + lines[i:]).encode()
    if kind == "alias":
        if name == "Pulumi.dev.yaml":
            extra = draw(st.sampled_from([f"  proxcloud:bomb:\n{bomb('    ')}", "  proxcloud:loop: &l [*l]\n"]))
        else:
            extra = draw(st.sampled_from([f"bomb:\n{bomb('  ')}", "loop: &l {x: *l}\n"]))
        return name, kind, extra[:20], (text + extra).encode()
    if kind == "encoding":
        how = draw(st.sampled_from(["latin-1", "utf-16", "utf-16-be", "binary", "bad-byte"]))
        if how == "binary":
            return name, kind, how, draw(st.binary(min_size=1, max_size=300))
        if how == "bad-byte":
            at = draw(st.integers(0, len(text)))
            return name, kind, how, text[:at].encode() + b"\xc3\x28" + text[at:].encode()
        return name, kind, how, ("# caf\u00e9\n" + text).encode(how)
    data = copy.deepcopy(DATA[name])
    path = draw(st.sampled_from(PATHS[name]))
    old = get(data, path)
    if kind == "delete":
        del get(data, path[:-1])[path[-1]]
    elif kind == "rename":
        if not isinstance(path[-1], str):
            return name, "noop", path, text.encode()
        parent = get(data, path[:-1])
        parent[path[-1] + draw(st.sampled_from(["x", "_", "s"]))] = parent.pop(path[-1])
    else:
        if kind == "null":
            new: Any = None
        elif kind == "swap":
            new = draw(st.sampled_from([s for s in SWAPS if type(s) is not type(old)]))
        elif kind == "empty":
            new = {dict: {}, list: []}.get(type(old), "")
        elif kind == "text":  # any printable ASCII: valid for free text (and so planned in full), refused elsewhere
            new = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40))
        elif kind == "huge":
            new = draw(st.sampled_from(["x" * 10_000, ["x"] * 2000, 10**100]))
        else:  # invisible: one such character inside the value as text
            value = old if isinstance(old, str) else str(old)
            at = draw(st.integers(0, len(value)))
            new = value[:at] + draw(st.sampled_from(INVISIBLE)) + value[at:]
        put(data, path, new)
    return name, kind, (path, old), yaml.safe_dump(data, sort_keys=False, width=4096).encode()


def check_report(outcome: Outcome, name: str, kind: str, detail: Any) -> None:
    """A refusal as the README promises it."""
    assert outcome.code == 2, outcome.stderr[-4000:]
    assert "Traceback" not in outcome.stderr, outcome.stderr[-4000:]
    assert not outcome.planned
    assert outcome.problems, outcome.stderr
    for line in outcome.problems:
        assert PROBLEM_LINE.fullmatch(line), line  # file: field: message (fix: ...)
    text = "\n".join(outcome.problems)
    if name == "Pulumi.dev.yaml":
        assert "Pulumi.dev.yaml" in text or "proxcloud:" in text, text
    else:
        assert name in text, text
    if kind in ("invisible", "huge") and isinstance(detail[1], str):
        # a text value made invalid on its own: refused at its own field
        field = user_field(name, detail[0])
        fields = {PROBLEM_LINE.fullmatch(line)["field"] for line in outcome.problems}  # type: ignore[index]
        assert field in fields or any(f.startswith(field) for f in fields), (field, text)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_inputs(tmp_path_factory.mktemp("mutations"))


def write(project: Path, name: str, content: bytes) -> None:
    for other in FILES:  # every other file back as shipped
        (project / other).write_text(ORIGINAL[other], encoding="utf-8")
    (project / name).write_bytes(content)
    for leftover in (project / "build").glob("*"):
        leftover.unlink()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_any_mutation_is_refused_cleanly_or_plans(workspace: Path, mutation: tuple[str, str, Any, bytes]) -> None:
    name, kind, detail, content = mutation
    write(workspace, name, content)
    loaded = load(workspace)
    assert loaded.code != 1, loaded.stderr[-4000:]
    if loaded.code == 2:
        check_report(loaded, name, kind, detail)
        if zlib.crc32(content) % 10 == 0:  # a sample (one in ten) through the real entry point: the same report
            planned = plan(workspace)
            check_report(planned, name, kind, detail)
            assert planned.problems == loaded.problems
        return
    # still valid input: it must plan, with no traceback from any renderer or component
    # (a renamed key may still be valid: a capacity entry of another node is a flag of `make report`, not an error)
    assert kind not in ("duplicate", "alias", "encoding", "invisible"), (kind, detail)
    planned = plan(workspace)
    assert planned.code == 0 and planned.planned, planned.stderr[-4000:]


# --- harmless edits ---------------------------------------------------------------------------------------------


class _Quoted(yaml.SafeDumper):
    style = '"'


def _quoted_str(dumper: _Quoted, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=dumper.style)


_Quoted.add_representer(str, _quoted_str)


def _shuffle(data: Any, order: list[int]) -> Any:
    """The same data with the keys of every mapping in another order (rotated by the drawn amounts)."""
    if isinstance(data, dict):
        keys = list(data)
        k = order[len(keys) % len(order)] % max(len(keys), 1)
        return {key: _shuffle(data[key], order) for key in keys[k:] + keys[:k]}
    if isinstance(data, list):
        return [_shuffle(v, order) for v in data]
    return data


@st.composite
def harmless(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES))
    text = ORIGINAL[name]
    how = draw(st.sampled_from(["order", "comments", "double-quotes", "single-quotes", "flow"]))
    if how == "comments":
        lines = text.splitlines(keepends=True)
        marks = draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=10))
        out = []
        for i, line in enumerate(lines):
            out.append("# a comment line\n" if i in marks else "")
            out.append(line.rstrip("\n") + ("  # trailing, with 'quotes' and: colons\n" if i in marks else "\n"))
        return name, "".join(out).encode()
    data = DATA[name]
    if how == "order":
        data = _shuffle(data, draw(st.lists(st.integers(0, 50), min_size=1, max_size=5)))
        return name, yaml.safe_dump(data, sort_keys=False, width=4096).encode()
    if how == "flow":
        return name, yaml.safe_dump(data, default_flow_style=True, width=4096).encode()
    dumper = type("Q", (_Quoted,), {"style": '"' if how == "double-quotes" else "'"})
    return name, yaml.dump(data, Dumper=dumper, sort_keys=False, width=4096, allow_unicode=True).encode()


@pytest.fixture(scope="module")
def shipped_platform(workspace: Path) -> Any:
    write(workspace, FILES[0], ORIGINAL[FILES[0]].encode())
    return _platform(workspace)


def _platform(project: Path) -> Any:
    from model.files import config_value
    from model.load import load_platform
    from tools.mockengine import stack_config

    raw = stack_config("dev", project)
    config = {k.split(":", 1)[1]: config_value(v) for k, v in raw.items() if k.startswith("proxcloud:")}
    return load_platform("proxcloud", "dev", config, project)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=harmless())
def test_harmless_edits_load_the_same_platform(workspace: Path, shipped_platform: Any, edit: tuple[str, bytes]):
    name, content = edit
    write(workspace, name, content)
    assert _platform(workspace) == shipped_platform


def test_a_harmless_edit_plans_through_the_entry_point(workspace: Path) -> None:
    """Twin of the property above through `make plan` (the property itself stops at the spec)."""
    write(workspace, "tenants/alpha.yaml", yaml.dump(DATA["tenants/alpha.yaml"], Dumper=_Quoted).encode())
    outcome = plan(workspace)
    assert outcome.code == 0 and outcome.planned, outcome.stderr[-3000:]


FREE_TEXT = [
    ("tenants/community.yaml", ("humhub", "site_name")),
    ("tenants/keepers.yaml", ("wordpress", "site_title")),
    ("tenants/alpha.yaml", ("description",)),
    ("tenants/alpha.yaml", ("vnets", 0, "description")),
    ("tenants/hosting.yaml", ("forwards", 0, "why")),
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    place=st.sampled_from(FREE_TEXT),
    text=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=3, max_size=60),
)
def test_free_text_with_any_printable_characters_plans(workspace: Path, place: tuple[str, tuple], text: str):
    """Quotes, `$`, backslashes and backticks in free text are the renderers' to quote, not a crash (the property
    above rarely draws valid text; this one always plans it, or refuses it cleanly)."""
    name, path = place
    data = copy.deepcopy(DATA[name])
    put(data, path, text)
    write(workspace, name, yaml.safe_dump(data, sort_keys=False, width=4096).encode())
    outcome = plan(workspace)
    if outcome.code == 2:
        check_report(outcome, name, "text", (path, text))
    else:
        assert outcome.code == 0 and outcome.planned, outcome.stderr[-4000:]
