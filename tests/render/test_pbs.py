"""PBS job scripts: shellcheck-clean, and idempotent against stand-ins for the PBS command-line tools."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from render.pbs import PbsJob, apply_script, delete_script, storage_password_script, tenant_jobs
from tests.support.shell import shellcheck

RETENTION = {"keep-daily": "14", "keep-weekly": "8", "keep-monthly": "12", "keep-yearly": "3"}

# Stand-ins for proxmox-backup-manager / proxmox-backup-client: they keep jobs and namespaces in a JSON file,
# accept only the sub-commands and options the real tools document, and log every call.
FAKE = textwrap.dedent(
    """\
    #!/usr/bin/env python3
    import json, os, sys
    state_file = os.environ["FAKE_PBS_STATE"]
    state = json.load(open(state_file)) if os.path.exists(state_file) else {"jobs": {}, "ns": [], "calls": []}
    tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
    state["calls"].append([tool, *args])
    def opts(rest):
        out = {}
        it = iter(rest)
        for a in it:
            assert a.startswith("--"), f"unexpected argument {a}"
            out[a[2:]] = next(it)
        return out
    ALLOWED = {
        "verify": {"store", "schedule", "ns", "ignore-verified", "outdated-after", "max-depth", "comment"},
        "prune": {"store", "schedule", "ns", "keep-last", "keep-hourly", "keep-daily", "keep-weekly",
                  "keep-monthly", "keep-yearly", "max-depth", "comment"},
    }
    if tool == "proxmox-backup-manager":
        kind = args[0].removesuffix("-job")
        verb = args[1]
        if verb == "list":
            print(json.dumps([{"id": i, **j} for i, j in state["jobs"].items() if j["kind"] == kind]).replace(" ", ""))
        else:
            job_id, o = args[2], opts(args[3:])
            assert set(o) <= ALLOWED[kind], f"unknown options {set(o) - ALLOWED[kind]}"
            if verb == "create":
                assert job_id not in state["jobs"], "create of an existing job"
                assert "store" in o, "create needs --store"
                state["jobs"][job_id] = {"kind": kind, **o}
            elif verb == "update":
                state["jobs"][job_id].update(o)
            elif verb == "remove":
                del state["jobs"][job_id]
    elif tool == "proxmox-backup-client":
        assert args[0] == "namespace"
        assert os.environ.get("PBS_PASSWORD") == "s3cret pw", "password did not arrive on stdin"
        assert os.environ.get("PBS_FINGERPRINT"), "no fingerprint"
        if args[1] == "list":
            print(json.dumps([{"ns": n} for n in state["ns"]]).replace(" ", ""))
        elif args[1] == "create":
            assert args[2] not in state["ns"], "namespace created twice"
            state["ns"].append(args[2])
    json.dump(state, open(state_file, "w"))
    """
)


@pytest.fixture
def pbs_host(tmp_path: Path) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("proxmox-backup-manager", "proxmox-backup-client"):
        path = bindir / tool
        path.write_text(FAKE)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "FAKE_PBS_STATE": str(tmp_path / "state.json"),
        "PROXCLOUD_STATE_DIR": str(tmp_path / "proxcloud"),
    }


def run(script: str, env: dict[str, str]) -> dict:
    result = subprocess.run(["bash", "-c", script], input="s3cret pw\n", env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(Path(env["FAKE_PBS_STATE"]).read_text())


def jobs() -> list[PbsJob]:
    return [j for t in ("alpha", "beta") for j in tenant_jobs(t, "offsite", RETENTION, "sat 04:00", "daily 06:30", 30)]


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for name, text in (
        ("apply.sh", apply_script(jobs(), "pve-backup@pbs", "aa:bb")),
        ("del.sh", delete_script(jobs())),
    ):
        result = shellcheck(text, tmp_path, name, severity="style")
        assert result.returncode == 0, result.stdout


def test_shellcheck_catches_a_broken_script(tmp_path: Path) -> None:
    bad = apply_script(jobs(), "u@pbs", "aa").replace('"$2"', "$2").replace('"$1"', "$1")
    assert shellcheck(bad, tmp_path, "bad.sh", severity="style").returncode != 0


@pytest.mark.system
def test_apply_creates_then_updates_idempotently(pbs_host: dict[str, str]) -> None:
    first = run(apply_script(jobs(), "pve-backup@pbs", "aa:bb"), pbs_host)
    assert sorted(first["ns"]) == ["alpha", "beta"]
    assert first["jobs"]["prune-alpha"] == {
        "kind": "prune",
        "store": "offsite",
        "schedule": "daily 06:30",
        "ns": "alpha",
        **RETENTION,
    }
    assert first["jobs"]["verify-beta"]["outdated-after"] == "30"
    changed = [
        j if j.id != "prune-beta" else PbsJob("prune", j.id, j.store, "daily 07:00", j.ns, j.options) for j in jobs()
    ]
    second = run(apply_script(changed, "pve-backup@pbs", "aa:bb"), pbs_host)
    creates = [c for c in second["calls"] if len(c) > 2 and c[2] == "create"]
    assert len(creates) == 4 + 2  # 4 jobs and 2 namespaces, all from the first run only
    assert second["jobs"]["prune-beta"]["schedule"] == "daily 07:00"
    assert second["jobs"] == {**first["jobs"], "prune-beta": {**first["jobs"]["prune-beta"], "schedule": "daily 07:00"}}


@pytest.mark.system
def test_apply_reconciles_the_declared_set(pbs_host: dict[str, str]) -> None:
    """The Command's update is the apply script: the jobs of a tenant no longer declared are removed, an
    operator's own job (never declared by the script) stays, and a second run changes nothing (issue 15 item 3)."""
    run(apply_script(jobs(), "pve-backup@pbs", "aa:bb"), pbs_host)
    manual = "proxmox-backup-manager verify-job create verify-manual --store offsite --schedule daily --ns alpha"
    run(manual, pbs_host)
    alpha_only = apply_script([j for j in jobs() if j.ns == "alpha"], "pve-backup@pbs", "aa:bb")
    state = run(alpha_only, pbs_host)
    assert sorted(state["jobs"]) == ["prune-alpha", "verify-alpha", "verify-manual"]
    removed = sorted(c[3] for c in state["calls"] if c[2:3] == ["remove"])
    assert removed == ["prune-beta", "verify-beta"]
    again = run(alpha_only, pbs_host)
    assert sum(c[2:3] == ["remove"] for c in again["calls"]) == 2  # the two of the run before, none new


@pytest.mark.system
def test_delete_removes_only_the_named_jobs(pbs_host: dict[str, str]) -> None:
    run(apply_script(jobs(), "pve-backup@pbs", "aa:bb"), pbs_host)
    state = run(delete_script([j for j in jobs() if j.ns == "alpha"]), pbs_host)
    assert sorted(state["jobs"]) == ["prune-beta", "verify-beta"]
    assert sorted(state["ns"]) == ["alpha", "beta"]  # backups are never deleted by automation


@pytest.mark.system
def test_the_fake_refuses_what_the_real_tool_would(pbs_host: dict[str, str]) -> None:
    """Twin: a job with an option PBS does not know fails the run (so the checks above mean something)."""
    bad = [PbsJob("prune", "prune-x", "offsite", "daily", "x", (("keep-forever", "1"),))]
    result = subprocess.run(
        ["bash", "-c", apply_script(bad, "u@pbs", "aa")],
        input="s3cret pw\n",
        env=pbs_host,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def test_values_are_quoted() -> None:
    script = apply_script([PbsJob("prune", "p", "store", "daily 06:30; reboot", "ns")], "u@pbs", "aa")
    assert "'daily 06:30; reboot'" in script


@pytest.mark.system
def test_storage_password_script_writes_what_pve_reads(tmp_path: Path) -> None:
    """A rotated pbsPassword reaches the storages in place: the file PVE's PBS plugin reads, "<password>\\n", 0600
    (pve-storage PBSPlugin.pm pbs_set_password), for each storage; shellcheck-clean (issue 15 item 5)."""
    script = storage_password_script(["pbs-alpha", "pbs-beta"])
    assert shellcheck(script, tmp_path, "pw.sh", severity="style").returncode == 0
    local = script.replace("/etc/pve/priv/storage", str(tmp_path / "priv"))
    result = subprocess.run(["bash", "-c", local], input="n3w pw\n", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for sid in ("pbs-alpha", "pbs-beta"):
        path = tmp_path / "priv" / f"{sid}.pw"
        assert path.read_text() == "n3w pw\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "n3w" not in script  # the password arrives on stdin, never in the script
