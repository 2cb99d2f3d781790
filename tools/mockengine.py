"""Runs the real `__main__.py` in-process under Pulumi mocks and records every registration.

The recording monitor subclasses the SDK's MockMonitor, so the program meets the same SDK classes and
required-argument checks as under `pulumi preview`; it keeps what the engine would see: type, name, parent,
provider, protect, dependencies and inputs (secrets kept as markers, never as values).
"""

from __future__ import annotations

import json
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

from spec.errors import SpecError
from spec.files import read_stack_config
from spec.models import SECRET_CONFIG_KEYS

# The secret config keys a stack needs; the user sets them with `pulumi config set --secret`.
OFFLINE_SECRETS = ("proxmoxve:apiToken", *(f"proxcloud:{k}" for k in SECRET_CONFIG_KEYS))

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REDACTED = "[secret]"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _plain(value: Any) -> Any:
    """Protobuf Struct JSON -> plain values: secrets become "[secret]", whole numbers ints."""
    if isinstance(value, dict):
        sig = value.get(SPECIAL_SIG_KEY)
        if sig == SECRET_SIG:
            return REDACTED
        if sig == RESOURCE_SIG:
            return value.get("urn")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return "[unknown]"
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

    def __init__(self, mocks: pulumi.runtime.Mocks, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording
        self._stack_urn: str | None = None

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self._stack_urn = urn
        trigger = (
            _plain(json_format.MessageToDict(request.replacement_trigger))
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
                dependencies=list(request.dependencies),
                inputs=_plain(json_format.MessageToDict(request.object)),
                retain_on_delete=bool(request.retainOnDelete),
                replacement_trigger=trigger,
                aliases=len(request.aliases) + len(request.aliasURNs),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self._stack_urn:
            self.recording.outputs = _plain(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


# Outputs a real provider computes and the program reads; the mock returns inputs plus these.
def _synthesize(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    state = dict(inputs)
    rid = f"{name}-id"
    if typ == "random:index/randomPassword:RandomPassword":
        state["result"] = f"mock-password-{name}"
    elif typ == "proxmoxve:index/vmLegacy:VmLegacy":
        rid = str(int(inputs.get("vmId", 0)))
    elif typ == "proxmoxve:index/fileLegacy:FileLegacy":
        file_name = (inputs.get("sourceRaw") or {}).get("fileName", name)
        rid = f"{inputs.get('datastoreId')}:{inputs.get('contentType', 'snippets')}/{file_name}"
        state.setdefault("fileName", file_name)
    elif typ == "proxmoxve:download/file:File":
        rid = f"{inputs.get('datastoreId')}:{inputs.get('contentType')}/{inputs.get('fileName', name)}"
    elif typ == "proxmoxve:user/token:Token":
        state["value"] = f"{inputs.get('userId')}!{inputs.get('tokenName')}=00000000-0000-4000-8000-000000000000"
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
    """

    def __init__(self, referenced: dict[str, Any] | None = None) -> None:
        self.referenced = referenced or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.referenced, "secretOutputNames": []}
        return _synthesize(args.typ, args.name, args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """Pulumi.<stack>.yaml's `config:` as the engine passes it: strings, structured values JSON-encoded.

    Read through spec.files like every input file; a file that cannot be read raises SpecError (file, field, fix).
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
) -> Recording:
    """Run the program for one stack under mocks; returns what it registered and exported.

    Pass `recording` to keep what was registered even when the program fails.
    """
    return run_function(
        lambda: runpy.run_path(str(program), run_name="__main__"), stack, config, project, recording, mocks
    )


def run_function(
    body: Callable[[], object],
    stack: str,
    config: dict[str, str] | None = None,
    project: str = "proxcloud",
    recording: Recording | None = None,
    mocks: PlanMocks | None = None,
) -> Recording:
    """Run `body` as a Pulumi program under the same mocks and recording monitor as `run_program`.

    For programs that are not a file: the benchmark's SDK floor registers bare resources this way, so the
    floor and the real program pay for exactly the same mock engine.
    """
    recording = Recording() if recording is None else recording
    mocks = mocks or PlanMocks()
    pulumi.runtime.set_all_config(stack_config(stack) if config is None else config, list(OFFLINE_SECRETS))
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=True, monitor=RecordingMonitor(mocks, recording)
    )
    # set_mocks registers a finished root stack of its own: let it settle, forget it, and run the real one.
    _sync_await(wait_for_rpcs())
    recording.resources.clear()
    set_root_resource(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _sync_await(run_in_stack(body))
    return recording
