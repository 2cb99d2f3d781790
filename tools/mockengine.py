"""Runs the real `__main__.py` in-process under Pulumi mocks and records every registration.

The recording monitor subclasses the SDK's MockMonitor, so the program meets the same SDK classes and
required-argument checks as under `pulumi preview`; it keeps what the engine would see: type, name, parent,
provider, protect, dependencies, inputs (secrets kept as markers, never as values) and the resource options
that decide how a change is carried out (delete-before-replace, replace-on-changes, ignore-changes,
retain-on-delete, deleted-with, aliases, replacement trigger, property dependencies).

A secret is recorded as "[secret]"; with a digest key (`make diff`, `PROXCLOUD_PLAN_DIGEST_KEY`) as
"[secret:<hex HMAC-SHA256 of its value, keyed with it>]", so two plans made with one key show that a secret
changed without revealing it (the key is random per `make diff` run, so the digest cannot be brute-forced
from a published plan).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import runpy
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import set_root_resource
from pulumi.runtime.stack import run_in_stack, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from model.errors import SpecError
from model.files import read_stack_config
from model.models import SECRET_CONFIG_KEYS

# The secret config keys a stack needs; the user sets them with `pulumi config set --secret`.
OFFLINE_SECRETS = ("proxmoxve:apiToken", *(f"proxcloud:{k}" for k in SECRET_CONFIG_KEYS))

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REDACTED = "[secret]"
UNKNOWN_MARKER = "[unknown]"
PROJECT_DIR = Path(__file__).resolve().parent.parent
DIGEST_KEY_ENV = "PROXCLOUD_PLAN_DIGEST_KEY"
_SECRET_MARKER = re.compile(r"\[secret(?::[0-9a-f]{64})?\]")
# With `PlanMocks(mark_computed=True)` every computed output the mock makes up (an id, a password, a token value)
# carries this marker; the monitor finds it in the inputs of the resources that consume it and strips it again.
# Letters and digits only, so values that renderers validate (passwords) still pass; inside the mock token's
# UUID secret the marker is hex in the UUID's last group, so the token keeps its format.
_MOCK_UUID = "00000000-0000-4000-8000-000000000000"
_COMPUTED_MARK = re.compile(r"QqZ([0-9a-f]{8})ZqQ|00000000-0000-4000-8000-d1ce([0-9a-f]{8})")


def is_secret(value: object) -> bool:
    """A recorded secret: "[secret]", or "[secret:<digest>]" in a plan made with a digest key."""
    return isinstance(value, str) and _SECRET_MARKER.fullmatch(value) is not None


def canonical(value: Any) -> str:
    """The JSON a digest is taken over: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def mark_code(type_: str, name: str) -> str:
    """A resource's marker code: stable across plans (a hash of type and name, never of the registration order), so
    a value derived from a marked output - e.g. a password's hash in user data - is the same in base and head."""
    return hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()[:8]


def _mark(value: str, code: str) -> str:
    if value.endswith(_MOCK_UUID):
        return f"{value[: -len(_MOCK_UUID)]}00000000-0000-4000-8000-d1ce{code}"
    return f"{value}QqZ{code}ZqQ"


def _unmark(match: re.Match[str]) -> str:
    return "" if match.group(1) is not None else _MOCK_UUID


def _mark_codes(value: str) -> list[str]:
    return [a or b for a, b in _COMPUTED_MARK.findall(value)]


def _strip_marks(value: Any) -> Any:
    if isinstance(value, str):
        return _COMPUTED_MARK.sub(_unmark, value)
    if isinstance(value, dict):
        return {k: _strip_marks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_marks(v) for v in value]
    return value


def _computed_leaves(value: Any, marks: dict[str, str], path: str = "") -> dict[str, set[str]]:
    """Input path -> URNs whose computed outputs it carries (a secret is one leaf: what is inside stays hidden)."""
    found: dict[str, set[str]] = {}
    if isinstance(value, dict) and value.get(SPECIAL_SIG_KEY) == SECRET_SIG:
        inner = _computed_leaves(value.get("value"), marks, path)
        urns = set().union(*inner.values()) if inner else set()
        return {path: urns} if urns else {}
    if isinstance(value, dict):
        if value.get(SPECIAL_SIG_KEY) == RESOURCE_SIG:
            return {}
        for k, v in value.items():
            found.update(_computed_leaves(v, marks, f"{path}.{k}" if path else k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.update(_computed_leaves(v, marks, f"{path}[{i}]"))
    elif isinstance(value, str):
        urns = {marks[c] for c in _mark_codes(value) if c in marks}
        if urns:
            found[path] = urns
    return found


def _scalars(value: Any) -> list[str]:
    """Every scalar of a raw value (secrets included) as text, for the echo check below."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _scalars(v)]
    if isinstance(value, list):
        return [x for v in value for x in _scalars(v)]
    if value is None or isinstance(value, bool):
        return []
    return [str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)]


def _attribute_hidden(
    raw: dict[str, Any],
    computed: dict[str, set[str]],
    property_dependencies: dict[str, list[str]],
    inputs_of: dict[str, list[str]],
) -> None:
    """Add the dependencies whose marker no leaf carries: an apply that combined an output and dropped it
    (`Output.all(x, applier.id).apply(lambda v: v[0])`) is still unknown at preview while that output is. A
    dependency is an echo instead (known at preview) when a leaf of the property contains one of its inputs
    (`storage.resource_id`, `Output.concat(user.user_id, "!telegraf")`). Hidden ones go to the property's marked
    leaves, or to the whole property when it has none."""
    for prop, urns in property_dependencies.items():
        leaves = [k for k in computed if k == prop or k.startswith((f"{prop}.", f"{prop}["))]
        carried = set().union(*(computed[k] for k in leaves)) if leaves else set()
        texts = _scalars(raw.get(prop))
        for urn in urns:
            if urn in carried:
                continue
            echoes = [v for v in inputs_of.get(urn, []) if len(v) >= 3]
            if any(e in t for e in echoes for t in texts):
                continue
            for k in leaves or [prop]:
                computed.setdefault(k, set()).add(urn)


def _plain(value: Any, digest_key: bytes | None = None) -> Any:
    """Protobuf Struct JSON -> plain values: secrets become "[secret]" (or "[secret:<digest>]" with a digest key),
    resource references their URN, whole numbers ints, unknowns "[unknown]"."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            if digest_key is None:
                return REDACTED
            inner = canonical(_plain(value.get("value"), digest_key))
            return f"[secret:{hmac.new(digest_key, inner.encode(), hashlib.sha256).hexdigest()}]"
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: _plain(v, digest_key) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, digest_key) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return UNKNOWN_MARKER
    return value


@dataclass
class Registration:
    """One resource as the engine would have received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    protect: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    retain_on_delete: bool = False
    replacement_trigger: Any = None
    aliases: int = 0
    alias_urns: list[str] = field(default_factory=list)
    """The URNs the resource was known by (its own aliases and those it inherits from its parent's), as the engine
    resolves them (pulumi/pulumi pkg/resource/deploy/step_generator.go `inheritedChildAlias`)."""
    delete_before_replace: bool | None = None
    """None when the program left it to the provider (the engine then follows the provider's diff)."""
    replace_on_changes: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    deleted_with: str | None = None
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Input name -> URNs of the resources whose outputs flow into it (only inputs that have some)."""
    computed_inputs: dict[str, list[str]] = field(default_factory=dict)
    """Input path (leaf) -> URNs whose computed outputs (ids, generated values) its value carries: unknown at
    preview while such a resource is created or replaced. Only found under `PlanMocks(mark_computed=True)`."""

    @property
    def replacement_trigger_digest(self) -> str | None:
        """What the plan file records of the trigger: a sha256 of its canonical JSON (secrets stay markers)."""
        if self.replacement_trigger is None:
            return None
        if self.replacement_trigger == UNKNOWN_MARKER:
            return UNKNOWN_MARKER
        return hashlib.sha256(canonical(self.replacement_trigger).encode()).hexdigest()

    def options(self) -> dict[str, Any]:
        """The resource options the engine is told (how a change of this resource would be carried out)."""
        return {
            "deleteBeforeReplace": self.delete_before_replace,
            "replaceOnChanges": self.replace_on_changes,
            "ignoreChanges": self.ignore_changes,
            "retainOnDelete": self.retain_on_delete,
            "deletedWith": self.deleted_with,
            "aliases": self.aliases,
            "aliasUrns": self.alias_urns,
            "replacementTrigger": self.replacement_trigger_digest,
            "propertyDependencies": self.property_dependencies,
        }

    def to_json(self) -> dict[str, Any]:
        """The plan-file shape (a contract: later tooling reads exactly these keys)."""
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "protect": self.protect,
            "dependencies": self.dependencies,
            "inputs": self.inputs,
            "options": self.options(),
            "computedInputs": self.computed_inputs,
        }


@dataclass
class Recording:
    """Everything one program run registered, in registration order."""

    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.resources}

    def one(self, type_: str, name: str) -> Registration:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources of type {type_} named {name}")
        return found[0]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that also keeps each request's graph facts (the base class keeps only id and state)."""

    def __init__(self, mocks: pulumi.runtime.Mocks, recording: Recording, digest_key: bytes | None = None) -> None:
        super().__init__(mocks)
        self.recording = recording
        self.digest_key = digest_key
        self._stack_urn: str | None = None
        self._inputs_of: dict[str, list[str]] = {}  # URN -> its raw input scalars (marker mode only)
        self._aliases_of: dict[str, list[str]] = {}  # URN -> the URNs it was known by

    def _alias_urns(self, request: Any) -> list[str]:
        """A resource's former URNs: its own aliases (a URN, or a spec resolved against the request), then the ones
        its parent's aliases give it (the same type and name under each former URN of the parent)."""
        parent = "" if request.parent == self._stack_urn else request.parent
        out: list[str] = []
        for alias in request.aliases:
            if alias.urn:
                out.append(alias.urn)
                continue
            spec = alias.spec
            at = "" if spec.noParent or spec.parentUrn == self._stack_urn else (spec.parentUrn or parent)
            out.append(self.make_urn(at, spec.type or request.type, spec.name or request.name))
        out += list(request.aliasURNs)
        out += [self.make_urn(p, request.type, request.name) for p in self._aliases_of.get(request.parent, [])]
        own = self.make_urn(request.parent, request.type, request.name)
        return [u for u in dict.fromkeys(out) if u != own]  # the mock's URNs name only the parent's own type

    def RegisterResource(self, request: Any) -> Any:
        # Field names: pulumi/runtime/proto/resource_pb2.pyi (RegisterResourceRequest) of the installed SDK.
        marks: dict[str, str] | None = getattr(self.mocks, "marks", None)
        response = super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        if marks is not None:
            marks[mark_code(request.type, request.name)] = urn
        if request.type == "pulumi:pulumi:Stack":
            self._stack_urn = urn
        alias_urns = self._alias_urns(request)
        self._aliases_of[urn] = alias_urns
        key = self.digest_key
        raw = json_format.MessageToDict(request.object)
        property_dependencies = {
            k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items()) if len(v.urns)
        }
        computed: dict[str, set[str]] = {}
        if marks is not None:
            computed = _computed_leaves(raw, marks)
            _attribute_hidden(raw, computed, property_dependencies, self._inputs_of)
            self._inputs_of[urn] = _scalars(_strip_marks(raw))
        trigger = (
            _plain(_strip_marks(json_format.MessageToDict(request.replacement_trigger)), key)
            if request.HasField("replacement_trigger")
            else None
        )
        self.recording.resources.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                provider=request.provider or None,
                protect=bool(request.protect),
                dependencies=sorted(request.dependencies),
                inputs=_plain(_strip_marks(raw), key),
                retain_on_delete=bool(request.retainOnDelete),
                replacement_trigger=trigger,
                aliases=len(request.aliases) + len(request.aliasURNs),
                alias_urns=alias_urns,
                delete_before_replace=bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None,
                replace_on_changes=list(request.replaceOnChanges),
                ignore_changes=list(request.ignoreChanges),
                deleted_with=request.deletedWith or None,
                property_dependencies=property_dependencies,
                computed_inputs={k: sorted(v) for k, v in sorted(computed.items())},
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self._stack_urn:
            self.recording.outputs = _plain(_strip_marks(json_format.MessageToDict(request.outputs)), self.digest_key)
        return super().RegisterResourceOutputs(request)


# Outputs a real provider computes and the program reads; the mock returns inputs plus these.
GUEST_TYPES = ("proxmoxve:index/vmLegacy:VmLegacy", "proxmoxve:index/containerLegacy:ContainerLegacy")


def _synthesize(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    state = dict(inputs)
    rid = f"{name}-id"
    if typ == "random:index/randomPassword:RandomPassword":
        state["result"] = f"mock-password-{name}"
    elif typ in GUEST_TYPES:  # bpg: a guest's id is its VM id (proxmoxtf/resource/vm/vm.go, container.go SetId)
        return str(int(inputs.get("vmId", 0))), state
    elif typ == "proxmoxve:index/fileLegacy:FileLegacy":
        file_name = (inputs.get("sourceRaw") or {}).get("fileName", name)
        rid = f"{inputs.get('datastoreId')}:{inputs.get('contentType', 'snippets')}/{file_name}"
        state.setdefault("fileName", file_name)
    elif typ == "proxmoxve:download/file:File":
        rid = f"{inputs.get('datastoreId')}:{inputs.get('contentType')}/{inputs.get('fileName', name)}"
    elif typ == "proxmoxve:user/token:Token":
        state["value"] = f"{inputs.get('userId')}!{inputs.get('tokenName')}={_MOCK_UUID}"
    elif typ == "proxmoxve:storage/pbs:Pbs":
        state.setdefault("encryptionKeyFingerprint", "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff")
    for id_key in ("poolId", "groupId", "userId", "roleId", "resourceId"):
        if id_key in inputs and isinstance(inputs[id_key], str):
            rid = inputs[id_key]
            break
    return rid, state


class PlanMocks(pulumi.runtime.Mocks):
    """Answers registrations like a provider that accepted them; invokes return empty results.

    `referenced` holds the outputs a StackReference of another stack reads (for consumer programs' tests).
    With `mark_computed`, every computed output (the id, and what `_synthesize` adds beyond the inputs) carries a
    marker, so the recording monitor can tell which inputs of later resources carry it (`computed_inputs`);
    an output that only echoes an input stays unmarked, as a real preview knows it.
    """

    def __init__(self, referenced: dict[str, Any] | None = None, mark_computed: bool = False) -> None:
        self.referenced = referenced or {}
        self.marks: dict[str, str] | None = {} if mark_computed else None  # marker code -> URN (set by the monitor)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.referenced, "secretOutputNames": []}
        rid, state = _synthesize(args.typ, args.name, args.inputs)
        if self.marks is not None and args.custom:
            code = mark_code(args.typ, args.name)
            rid = _mark(rid, code)
            for k, v in state.items():
                if k not in args.inputs and isinstance(v, str):
                    state[k] = _mark(v, code)
        return rid, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Pulumi.<stack>.yaml's `config:` as the engine passes it: strings, structured values JSON-encoded.

    Read through model.files like every input file; a file that cannot be read raises SpecError (file, field, fix).
    """
    config, problems = read_stack_config(project_dir / f"Pulumi.{stack}.yaml", f"Pulumi.{stack}.yaml")
    if problems:
        raise SpecError(problems)
    out = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    for key in OFFLINE_SECRETS:  # secrets are never in the repo: offline, a marked placeholder stands in
        out.setdefault(key, f"offline-placeholder-{key.split(':')[1]}")
    return out


def run_program(
    stack: str,
    config: dict[str, str] | None = None,
    project: str = "proxcloud",
    program: Path = PROJECT_DIR / "__main__.py",
    recording: Recording | None = None,
    mocks: PlanMocks | None = None,
    digest_key: bytes | None = None,
) -> Recording:
    """Run the program for one stack under mocks; returns what it registered and exported.

    Pass `recording` to keep what was registered even when the program fails, `digest_key` to record secrets
    as keyed digests instead of "[secret]".
    """
    return run_function(
        lambda: runpy.run_path(str(program), run_name="__main__"), stack, config, project, recording, mocks, digest_key
    )


def run_function(
    body: Callable[[], object],
    stack: str,
    config: dict[str, str] | None = None,
    project: str = "proxcloud",
    recording: Recording | None = None,
    mocks: PlanMocks | None = None,
    digest_key: bytes | None = None,
) -> Recording:
    """Run `body` as a Pulumi program under the same mocks and recording monitor as `run_program`.

    For programs that are not a file: the benchmark's SDK floor registers bare resources this way, so the
    floor and the real program pay for exactly the same mock engine.
    """
    recording = Recording() if recording is None else recording
    mocks = mocks or PlanMocks()
    pulumi.runtime.set_all_config(stack_config(stack) if config is None else config, list(OFFLINE_SECRETS))
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=True, monitor=RecordingMonitor(mocks, recording, digest_key)
    )
    # set_mocks registers a finished root stack of its own: let it settle, forget it, and run the real one.
    _sync_await(wait_for_rpcs())
    recording.resources.clear()
    set_root_resource(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _sync_await(run_in_stack(body))
    return recording
