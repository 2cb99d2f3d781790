"""Stand-ins for the PVE node CLIs the restore drill calls: qmrestore, qm, pct, pvesm, pvesh.

One Python program, installed under each name, keeps the node's guests and the PBS backups in a JSON file and
logs every call. It accepts only the options the real tools take for these sub-commands and refuses what PVE
refuses, with PVE's words where the drill depends on them:

* `pvesh get /cluster/nextid --vmid N`: refused when any guest of the cluster has N (pve-manager
  PVE/API2/Cluster.pm `nextid`: "VM N already exists");
* `pvesm list S --content backup --vmid N`: the backups of N, sorted by volume id (pve-storage `volume_list`);
* `qmrestore` / `pct restore`: refused onto an existing ID; the copy gets the backup's config (protection,
  onboot, NICs, cloud-init drive and `cicustom` included), `--unique 1` gives new MACs;
* `qm set --delete <drive>` and `qm/pct destroy` refused while `protection: 1` (qemu-server and pve-container
  `check_protection`), destroy refused while running;
* `qm start` / `pct start` fail when a NIC's bridge or the `cicustom` snippet is not on this node (the drill node
  has neither the tenant VNets' guests' snippets nor, in this fake, their bridges);
* `qm guest cmd N ping` / `pct exec N -- true` answer only for a running copy of a backup marked `answers`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PROGRAM = r"""#!/usr/bin/env -S python3 -S -E
import json, os, re, sys

path = os.environ["FAKE_PVE_STATE"]
state = json.load(open(path))
tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
state["calls"].append([tool, *args])
NODE = state["node"]
QMRESTORE = {"storage", "unique", "force", "pool", "bwlimit", "live-restore", "start", "ha-managed"}
PCT_RESTORE = {"storage", "unique", "force", "pool", "start", "ignore-unpack-errors"}
DRIVE = re.compile(r"(ide|sata|scsi|virtio|efidisk|tpmstate|unused)[0-9]+$")


def save():
    json.dump(state, open(path, "w"), indent=1, sort_keys=True)


def die(message, code=255):
    save()
    sys.stderr.write(message + "\n")
    sys.exit(code)


def options(rest, allowed):
    out, it = {}, iter(rest)
    for a in it:
        if not a.startswith("--"):
            die(f"400 unexpected argument '{a}'")
        key = a[2:]
        if key not in allowed:
            die(f"400 Parameter verification failed.\n{key}: property is not defined in schema")
        out[key] = next(it)
    return out


def guest(vmid, kind):
    g = state["guests"].get(str(vmid))
    if g is None or g["node"] != NODE or g["kind"] != kind:
        conf = "qemu-server" if kind == "qemu" else "lxc"
        die(f"Configuration file 'nodes/{NODE}/{conf}/{vmid}.conf' does not exist", 2)
    return g


def backup(volid):
    for store, items in state["backups"].items():
        for b in items:
            if b["volid"] == volid:
                return b
    die(f"unable to parse volume ID '{volid}'")


def restore(kind, vmid, volid, opts):
    if str(vmid) in state["guests"]:
        die(f"unable to restore VM {vmid} - VM {vmid} already exists on node '{NODE}'")
    b = backup(volid)
    if b["kind"] != kind:
        die(f"wrong backup type for {kind}: {volid}")
    config = dict(b["config"])
    if opts.get("unique") == "1":
        for k in list(config):
            if k.startswith("net"):
                config[k] = re.sub(r"=([0-9A-Fa-f:]{17})", "=BC:24:11:00:00:99", config[k], count=1)
    state["guests"][str(vmid)] = {
        "kind": kind, "node": NODE, "config": config, "running": False, "answers": b.get("answers", True),
        "restored_from": volid, "storage": opts.get("storage"),
    }
    save()
    sys.exit(0)


def set_config(kind, vmid, rest):
    g = guest(vmid, kind)
    opts = options(rest, {"delete", "protection", "onboot", "tags", "description", "skiplock"})
    conf = g["config"]
    for key in (opts.get("delete") or "").split(","):
        if not key:
            continue
        if DRIVE.match(key) and conf.get("protection") == "1":
            die(f"can't remove drive '{key}' - protection mode enabled")
        conf.pop(key, None)
    for key, value in opts.items():
        if key not in ("delete", "skiplock"):
            conf[key] = value
    save()
    sys.exit(0)


def start(kind, vmid):
    g = guest(vmid, kind)
    if g["running"]:
        die(f"VM {vmid} already running")
    for key, value in sorted(g["config"].items()):
        bridge = re.search(r"bridge=([^,]+)", value) if key.startswith("net") else None
        if bridge and bridge.group(1) not in state["bridges"]:
            die(f"bridge '{bridge.group(1)}' does not exist")
    snippet = re.search(r"user=([^,]+)", g["config"].get("cicustom", ""))
    if snippet and snippet.group(1) not in state["snippets"]:
        die(f"volume '{snippet.group(1)}' does not exist")
    g["running"] = True
    state.setdefault("starts", []).append(dict(g["config"]))
    save()
    sys.exit(0)


def destroy(kind, vmid, rest):
    g = guest(vmid, kind)
    options(rest, {"purge", "destroy-unreferenced-disks", "skiplock", "force"})
    what = "VM" if kind == "qemu" else "CT"
    if g["config"].get("protection") == "1":
        die(f"can't remove {what} {vmid} - protection mode enabled")
    if g["running"]:
        die(f"{what} {vmid} is running - destroy failed")
    del state["guests"][str(vmid)]
    state["destroyed"].append(int(vmid))
    save()
    sys.exit(0)


def show(kind, vmid):
    g = guest(vmid, kind)
    for key, value in sorted(g["config"].items()):
        print(f"{key}: {value}")
    save()
    sys.exit(0)


if tool == "pvesh":
    if args[:2] == ["get", "/cluster/nextid"] and args[2] == "--vmid":
        vmid = args[3]
        if vmid in state["guests"]:
            die(f"400 Parameter verification failed.\nvmid: VM {vmid} already exists")
        print(vmid)
        save()
        sys.exit(0)
    die(f"unexpected pvesh call {args}")
if tool == "pvesm":
    assert args[0] == "list", args
    store, opts = args[1], options(args[2:], {"content", "vmid"})
    if store not in state["backups"]:
        die(f"storage '{store}' does not exist")
    items = [b for b in state["backups"][store] if str(b["vmid"]) == opts.get("vmid")]
    items.sort(key=lambda b: b["volid"].lower())
    print("Volid Format Type Size VMID")
    for b in items:
        print(f"{b['volid']} pbs-{'vm' if b['kind'] == 'qemu' else 'ct'} backup 1234567 {b['vmid']}")
    save()
    sys.exit(0)
if tool == "qmrestore":
    volid, vmid, opts = args[0], args[1], options(args[2:], QMRESTORE)
    restore("qemu", vmid, volid, opts)
if tool == "qm":
    verb, vmid, rest = args[0], args[1], args[2:]
    if verb == "config":
        show("qemu", vmid)
    if verb == "set":
        set_config("qemu", vmid, rest)
    if verb == "start":
        start("qemu", vmid)
    if verb == "stop":
        g = guest(vmid, "qemu")
        options(rest, {"skiplock", "timeout"})
        g["running"] = False
        save()
        sys.exit(0)
    if verb == "destroy":
        destroy("qemu", vmid, rest)
    if verb == "guest" and vmid == "cmd":
        target, command = args[2], args[3]
        g = guest(target, "qemu")
        if command == "ping" and g["running"] and g["answers"] and "enabled=1" in g["config"].get("agent", ""):
            save()
            sys.exit(0)
        die("QEMU guest agent is not running")
    die(f"unexpected qm call {args}")
if tool == "pct":
    verb = args[0]
    if verb == "restore":
        vmid, volid, opts = args[1], args[2], options(args[3:], PCT_RESTORE)
        restore("lxc", vmid, volid, opts)
    vmid, rest = args[1], args[2:]
    if verb == "config":
        show("lxc", vmid)
    if verb == "set":
        set_config("lxc", vmid, rest)
    if verb == "start":
        start("lxc", vmid)
    if verb == "stop":
        guest(vmid, "lxc")["running"] = False
        save()
        sys.exit(0)
    if verb == "destroy":
        destroy("lxc", vmid, rest)
    if verb == "exec":
        g = guest(vmid, "lxc")
        if rest[:2] == ["--", "true"] and g["running"] and g["answers"]:
            save()
            sys.exit(0)
        die(f"container {vmid} not running or not answering")
    die(f"unexpected pct call {args}")
die(f"unknown tool {tool}")
"""

TOOLS = ("qmrestore", "qm", "pct", "pvesm", "pvesh")


def install(bindir: Path) -> None:
    """Put the stand-ins in `bindir` (first in PATH)."""
    bindir.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        path = bindir / tool
        path.write_text(PROGRAM, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def env_for(bindir: Path, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    return {**env, "PATH": f"{bindir}:{os.environ['PATH']}", "FAKE_PVE_STATE": str(state)}
