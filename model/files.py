"""The one way input files are read: tenant files, `Pulumi.<stack>.yaml`, and any file added later.

Bytes are decoded as UTF-8 (nothing else), YAML is parsed with every key once per mapping, aliases bounded
(an alias bomb or a self-reference is refused, not expanded), nesting bounded, and the document's shape checked
before its fields. Every problem names the file, the place (field path or line) and the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
import yaml.reader
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from model.errors import Problem

MAX_BYTES = 1 << 20  # 1 MiB: a tenant file is a few KiB; the benchmark's largest stack config is far below
MAX_DEPTH = 32  # the deepest real field is 5 levels down (proxcloud:capacity.nodes.<node>.cores)
MAX_NODES = 100_000  # values after alias expansion; an alias bomb passes this long before it hurts
UTF8_BOM = b"\xef\xbb\xbf"
MERGE_TAG = "tag:yaml.org,2002:merge"

try:  # libyaml's parser (in PyYAML's wheels): 7x faster than the pure-Python one (docs/performance.md)
    from yaml.cyaml import CParser as _EventSource
except ImportError:  # pragma: no cover - a PyYAML build without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _EventSource(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Refused(ComposerError):
    """A document the loader refuses to build (too deep, too large, self-referencing), at a field path."""

    where = ""


class _Unreadable(ConstructorError):
    """A scalar YAML reads as a type it cannot build (a date 2024-13-45, an integer of 5000 digits)."""


def path_text(parts: Iterable[str | int]) -> str:
    """Field path as the user writes it: `vnets[0].cidr`, `proxcloud:nodes[0].name`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class _Loader(_EventSource, Composer, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
    """libyaml's events, composed here (bounded, iterative enough, duplicate keys seen), safe constructors."""

    def __init__(self, text: str) -> None:
        _EventSource.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.path: list[str | int] = []
        self.depth = 0
        self.nodes = 0
        self.sizes: dict[int, int] = {}  # id(node) -> its value count with aliases expanded
        self.open: set[int] = set()  # nodes being composed: an alias to one is a self-reference
        self.duplicates: list[tuple[str, int, int]] = []  # (field path, first line, second line)

    # The pure-Python Composer's methods, over libyaml's events (CParser would compose in C, unbounded).
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()
            node = self.anchors.get(event.anchor)
            if node is None:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            if id(node) in self.open:
                raise self._refused(f"alias *{event.anchor} refers to the value that contains it", event.start_mark)
            self._count(self.sizes.get(id(node), 1), event.start_mark)
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._refused(f"values nest deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
        before = self.nodes
        event = self.peek_event()
        if event.anchor is not None and event.anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {event.anchor!r}; first occurrence",
                self.anchors[event.anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        self.descend_resolver(parent, index)
        if self.check_event(ScalarEvent):
            node = self.compose_scalar_node(event.anchor)
        elif self.check_event(MappingStartEvent):
            node = self.compose_mapping_node(event.anchor)
        else:
            node = self.compose_sequence_node(event.anchor)
        self.ascend_resolver()
        self._count(1, event.start_mark)
        self.sizes[id(node)] = self.nodes - before
        self.open.discard(id(node))
        self.depth -= 1
        return node

    def _count(self, n: int, mark: Any) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise self._refused(f"its aliases expand the document to more than {MAX_NODES} values", mark)

    def _refused(self, problem: str, mark: Any) -> _Refused:
        exc = _Refused(None, None, f"{problem} (line {mark.line + 1})", mark)
        exc.where = path_text(self.path) if self.path else ""
        return exc

    def compose_sequence_node(self, anchor: str | None) -> SequenceNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(SequenceNode, None, start.implicit)
        node = SequenceNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        self.open.add(id(node))
        if anchor is not None:
            self.anchors[anchor] = node
        index = 0
        while not self.check_event(SequenceEndEvent):
            self.path.append(index)
            node.value.append(self.compose_node(node, index))
            self.path.pop()
            index += 1
        node.end_mark = self.get_event().end_mark
        return node

    def compose_mapping_node(self, anchor: str | None) -> MappingNode:
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        self.open.add(id(node))
        if anchor is not None:
            self.anchors[anchor] = node
        seen: dict[tuple[str, str], int] = {}
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node, None)
            name: str | int = "?"
            if isinstance(key, ScalarNode) and key.tag != MERGE_TAG:
                name, line = key.value, key.start_mark.line + 1
                first = seen.get((key.tag, key.value))
                if first is None:
                    seen[(key.tag, key.value)] = line
                else:
                    self.duplicates.append((path_text([*self.path, name]), first, line))
            self.path.append(name)
            value = self.compose_node(node, key)
            self.path.pop()
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            reason = str(exc).split(":")[0]
            raise _Unreadable(None, None, f"YAML cannot read this value ({reason})", node.start_mark) from None


def decode(data: bytes, shown_as: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text (a UTF-8 byte order mark is dropped), or why the bytes are not."""
    fix = "save the file as UTF-8 (most editors: File > Save with Encoding > UTF-8)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(shown_as, "(file)", "is UTF-16, not UTF-8", fix)]
    try:
        return data.removeprefix(UTF8_BOM).decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, f"line {line}", f"is not UTF-8 (byte 0x{data[exc.start]:02x})", fix)]


def parse_yaml(text: str, shown_as: str) -> tuple[Any, list[Problem]]:
    """YAML text -> plain data (or None), or the problems: syntax, duplicate keys, aliases, nesting."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problems = [
            Problem(
                shown_as,
                field,
                f"is given twice (lines {first} and {second}); YAML would silently keep the last one",
                "keep one of them",
            )
            for field, first, second in loader.duplicates
        ]
        if problems:
            return None, problems
        return (None if node is None else loader.construct_document(node)), []
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return None, [
            Problem(
                shown_as,
                f"line {line}",
                f"holds the control character U+{exc.character:04X}, which YAML does not allow",
                "remove it (a tab or line break inside a value: write it as \\t or \\n in double quotes)",
            )
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        what = str(getattr(exc, "problem", None) or exc)
        if isinstance(exc, _Refused):
            fix = "write the values out plainly (an alias may repeat a value, not contain itself or explode)"
            return None, [Problem(shown_as, exc.where or where, f"is refused: {what}", fix)]
        if isinstance(exc, _Unreadable):
            return None, [Problem(shown_as, where, what, "put the value in quotes if it is meant as text")]
        return None, [Problem(shown_as, where, f"is not valid YAML: {what}", _yaml_fix(what))]
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting long before
        return None, [Problem(shown_as, "(file)", "nests too deeply", "write the values out plainly")]
    finally:
        loader.dispose()


def _yaml_fix(problem: str) -> str:
    if "cannot start any token" in problem:
        return "indent with spaces, not tabs; quote a value that starts with @, ` or %"
    if "another document" in problem:
        return "keep one document: remove the second `---`"
    if "constructor" in problem or "tag" in problem:
        return "remove the !tag: plain values only"
    if "alias" in problem or "anchor" in problem:
        return "define each &anchor once, before its *alias"
    if "unhashable" in problem:
        return "use plain names as keys"
    return "fix the syntax at that line (indentation, a missing ':' or closing quote/bracket)"


def read_yaml(path: Path, shown_as: str) -> tuple[Any, list[Problem]]:
    """One input file as plain data, or the problems; never raises for anything the file holds."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(shown_as, "(file)", f"cannot be read: {exc.strerror or exc}", "check the path")]
    if len(data) > MAX_BYTES:
        return None, [
            Problem(shown_as, "(file)", f"has {len(data)} bytes, more than {MAX_BYTES}", "split or trim the file")
        ]
    text, problems = decode(data, shown_as)
    if text is None:
        return None, problems
    return parse_yaml(text, shown_as)


# --- Pulumi.<stack>.yaml ---------------------------------------------------------------------------------------

STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
CONFIG_KEY = re.compile(r"[A-Za-z0-9_.\-]+:[A-Za-z0-9_.:\-]+")
STACK_DOCS = "see README.md (Stacks)"


def _not_json(value: Any, path: list[str | int]) -> tuple[str, str] | None:
    """(field path, type) of the first value JSON cannot carry (a date, binary, a set), if any."""
    stack: list[tuple[Any, list[str | int]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack += [(v, [*where, str(k)]) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [(v, [*where, i]) for i, v in enumerate(item)]
        elif not isinstance(item, str | int | float | bool | type(None)):
            return path_text(where), type(item).__name__
    return None


def read_stack_config(path: Path, shown_as: str) -> tuple[dict[str, Any], list[Problem]]:
    """`config:` of a Pulumi stack file: `namespace:key` -> value (encrypted values left out)."""
    data, problems = read_yaml(path, shown_as)
    if problems:  # a settings field is named as in the config: proxcloud:nodes[0], not config.proxcloud:nodes[0]
        return {}, [Problem(p.file, p.field.removeprefix("config."), p.message, p.fix) for p in problems]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [
            Problem(
                shown_as,
                "(top level)",
                f"is {_kind(data)}, not a mapping with `config:`",
                f"start the file with `config:` and the settings below it; {STACK_DOCS}",
            )
        ]
    for key in data:
        if key not in STACK_FILE_KEYS:
            problems.append(
                Problem(
                    shown_as, str(key), "unknown key of a stack file", f"put settings under `config:`; {STACK_DOCS}"
                )
            )
    config = data.get("config")
    if config is None:
        return {}, problems
    if not isinstance(config, dict):
        return {}, [
            *problems,
            Problem(
                shown_as,
                "config",
                f"is {_kind(config)}, not a mapping",
                f"write one `namespace:key: value` per line under it; {STACK_DOCS}",
            ),
        ]
    out: dict[str, Any] = {}
    for key, value in config.items():
        if not isinstance(key, str) or not CONFIG_KEY.fullmatch(key):
            fix = f"write it as proxcloud:{key}" if isinstance(key, str) and ":" not in key else "use namespace:key"
            problems.append(Problem(shown_as, f"config.{key}", "is not a `namespace:key` config key", fix))
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue  # an encrypted value; the plan runs without credentials
        odd = _not_json(value, [key])
        if odd is not None:
            problems.append(
                Problem(shown_as, odd[0], f"is read by YAML as a {odd[1]}, not text or a number", "put it in quotes")
            )
            continue
        out[key] = value
    return out, problems


def _kind(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "a value"
    )


def config_value(raw: Any) -> Any:
    """A config value as the engine hands it to the program: structured values arrive JSON-encoded."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return raw
