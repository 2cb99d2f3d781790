"""The restore drill's runner against stand-ins for the PVE node CLIs, its installer, its notification helper and
templates, shellcheck, and the failing twins: a restore that does not answer fails the drill and reports it."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from model.drill import DrillGuest
from model.notifications import DRILL_TYPE
from render.restore_drill import (
    NOTIFY_HELPER,
    RESULTS_HEADER,
    RUNNER,
    TEMPLATE,
    DrillSettings,
    conf,
    files,
    guest_list,
    install_script,
    parse_guest_list,
    remove_script,
    templates,
    timer_unit,
)
from tests.support.fake_pve_node import env_for, install
from tests.support.shell import shellcheck

pytestmark = pytest.mark.system  # the drill scripts against a stand-in PVE node

FIRST, LAST = 999999900, 999999902
GUESTS = [
    DrillGuest(1020, "qemu", "pbs-alpha", "alpha-influxdb", "alpha"),
    DrillGuest(5031, "lxc", "pbs-keepers", "keepers-wp-web", "keepers"),
    DrillGuest(3001, "qemu", "pbs-hosting", "verein-www", "hosting"),
]


def vm_config(vmid: int) -> dict[str, str]:
    """A backed-up VM as the program builds it: protected, on boot, NICs on VNets, a cloud-init snippet."""
    return {
        "agent": "enabled=1,trim=1",
        "cicustom": f"user=local:snippets/vm-{vmid}-user.yaml",
        "ide2": f"local-zfs:vm-{vmid}-cloudinit,media=cdrom",
        "memory": "2048",
        "net0": "virtio=02:00:00:03:e8:00,bridge=alphaweb,firewall=1",
        "net1": "virtio=02:00:00:03:e8:01,bridge=alphadb,firewall=1",
        "onboot": "1",
        "protection": "1",
        "scsi0": f"local-zfs:vm-{vmid}-disk-0,size=50G",
        "tags": "alpha;influxdb;proxcloud",
    }


def ct_config() -> dict[str, str]:
    return {
        "hostname": "keepers-wp-web",
        "net0": "name=eth0,bridge=keepweb,hwaddr=02:00:00:13:a7:00,ip=192.168.50.10/24,firewall=1",
        "onboot": "1",
        "protection": "1",
        "rootfs": "local-zfs:subvol-5031-disk-0,size=8G",
        "unprivileged": "1",
    }


def backups(answers: dict[int, bool] | None = None) -> dict[str, list[dict[str, Any]]]:
    answers = answers or {}

    def item(vmid: int, kind: str, when: str, config: dict[str, str]) -> dict[str, Any]:
        tag = "vm" if kind == "qemu" else "ct"
        return {
            "volid": f"pbs-x:backup/{tag}/{vmid}/{when}",
            "vmid": vmid,
            "kind": kind,
            "config": config,
            "answers": answers.get(vmid, True),
        }

    out: dict[str, list[dict[str, Any]]] = {}
    for g in GUESTS:
        config = vm_config(g.vm_id) if g.kind == "qemu" else ct_config()
        stored = [item(g.vm_id, g.kind, t, config) for t in ("2026-05-01T01:30:02Z", "2026-05-03T01:30:05Z")]
        # an older backup listed after the newest in storage order would be a bug: the fake sorts by volid
        for s in stored:
            s["volid"] = s["volid"].replace("pbs-x", g.storage)
        out[g.storage] = stored[::-1]
    return out


@pytest.fixture
def node(tmp_path: Path) -> dict[str, Any]:
    """A drill node with stand-in CLIs, the original guests elsewhere in the cluster, the drill's files."""
    bindir = tmp_path / "bin"
    install(bindir)
    helper = tmp_path / "notify-error"
    helper.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/bash
            {{ printf '%s\\n' "$@"; echo ---; cat; }} >> {tmp_path}/notified
            """
        )
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    originals = {
        str(g.vm_id): {"kind": g.kind, "node": "pve1", "config": {}, "running": True, "answers": True} for g in GUESTS
    }
    state = {
        "node": "pve3",
        "guests": originals,
        "backups": backups(),
        "bridges": ["vmbr0"],
        "snippets": [],
        "calls": [],
        "destroyed": [],
    }
    (tmp_path / "state.json").write_text(json.dumps(state))
    settings = DrillSettings(
        storage="local-zfs",
        scratch_first=FIRST,
        scratch_last=LAST,
        per_run=2,
        boot_timeout=2,
        schedule="Sun *-*-* 10:00",
        poll=1,
        guests=str(tmp_path / "guests"),
        state_dir=str(tmp_path / "var"),
        notify=str(helper),
    )
    (tmp_path / "guests").write_text(guest_list(GUESTS))
    (tmp_path / "drill.conf").write_text(conf(settings))
    (tmp_path / "runner").write_text(RUNNER)
    env = {**env_for(bindir, tmp_path / "state.json"), "PROXCLOUD_DRILL_CONF": str(tmp_path / "drill.conf")}
    return {"dir": tmp_path, "env": env}


def state_of(node: dict[str, Any]) -> dict[str, Any]:
    return json.loads((node["dir"] / "state.json").read_text())


def patch_state(node: dict[str, Any], **changes: Any) -> None:
    state = state_of(node)
    state.update(changes)
    (node["dir"] / "state.json").write_text(json.dumps(state))


def drill(node: dict[str, Any], runner: str | None = None) -> subprocess.CompletedProcess[str]:
    script = node["dir"] / "runner"
    if runner is not None:
        script.write_text(runner)
    return subprocess.run(
        ["bash", str(script)], env=node["env"], capture_output=True, text=True, timeout=120, check=False
    )


def results(node: dict[str, Any]) -> list[dict[str, str]]:
    lines = (node["dir"] / "var" / "results.tsv").read_text().splitlines()
    assert lines[0] == RESULTS_HEADER
    keys = RESULTS_HEADER.split("\t")
    return [dict(zip(keys, line.split("\t"), strict=True)) for line in lines[1:]]


def calls(node: dict[str, Any], tool: str, verb: str | None = None) -> list[list[str]]:
    return [c for c in state_of(node)["calls"] if c[0] == tool and (verb is None or c[1] == verb)]


# ---------------------------------------------------------------- shellcheck, perl, systemd


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    s = DrillSettings("local-zfs", FIRST, LAST, 2, 300, "Sun *-*-* 10:00")
    for name, text in (
        ("runner.sh", RUNNER),
        ("install.sh", install_script(s, GUESTS)),
        ("remove.sh", remove_script()),
        ("conf.sh", "#!/bin/bash\n" + conf(s)),
    ):
        result = shellcheck(text, tmp_path, name)
        assert result.returncode == 0, f"{name}:\n{result.stdout}"


def test_shellcheck_catches_an_unquoted_runner(tmp_path: Path) -> None:
    broken = RUNNER.replace('drill_one "${ids[i]}"', 'drill_one "$ids"')  # SC2128: an array without index
    assert shellcheck(broken, tmp_path, "bad.sh").returncode != 0


def test_schedule_is_a_systemd_calendar_event() -> None:
    exe = shutil.which("systemd-analyze")
    assert exe, "systemd-analyze is not installed: run `make test` (deps/apt-drill.txt)"
    for schedule in ("Sun *-*-* 10:00", "Sat 12:30"):
        done = subprocess.run([exe, "calendar", schedule], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert f"OnCalendar={schedule}\n" in timer_unit(schedule)
    bad = subprocess.run([exe, "calendar", "Sun *-*-* 25:00"], capture_output=True, text=True, check=False)
    assert bad.returncode != 0  # twin: the check above can fail


# ---------------------------------------------------------------- the runner: good runs


def test_a_drill_restores_isolated_copies_checks_them_and_destroys_them(node: dict[str, Any]) -> None:
    done = drill(node)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = results(node)
    assert [(r["vmid"], r["name"], r["kind"], r["result"]) for r in rows] == [
        ("1020", "alpha-influxdb", "qemu", "OK"),
        ("5031", "keepers-wp-web", "lxc", "OK"),
    ]
    # the newest backup, one scratch ID after the other, durations recorded
    assert rows[0]["backup"] == "pbs-alpha:backup/vm/1020/2026-05-03T01:30:05Z"
    assert rows[0]["scratch"] == str(FIRST) and rows[1]["scratch"] == str(FIRST)
    assert all(r[k].isdigit() for r in rows for k in ("restore_s", "boot_s", "total_s"))
    state = state_of(node)
    assert sorted(state["guests"]) == ["1020", "3001", "5031"]  # only the originals are left
    assert state["destroyed"] == [FIRST, FIRST]
    # restored without pool or start, with new MACs, onto the vm datastore
    (restore,) = calls(node, "qmrestore")
    assert restore[1:] == [rows[0]["backup"], str(FIRST), "--storage", "local-zfs", "--unique", "1"]
    pct_restore = calls(node, "pct", "restore")[0]
    assert "--pool" not in pct_restore and pct_restore[pct_restore.index("--unique") + 1] == "1"
    assert "OK alpha-influxdb (1020) came back" in done.stdout
    assert (node["dir"] / "var" / "next").read_text().strip() == "2"
    assert not (node["dir"] / "notified").exists()


def test_no_copy_ever_runs_with_a_nic_protection_or_its_cloud_init(node: dict[str, Any]) -> None:
    drill(node)
    starts = [c for c in state_of(node)["calls"] if c[1:2] == ["start"]]
    assert len(starts) == 2
    sets = [c for c in state_of(node)["calls"] if c[1:2] == ["set"] and "--delete" in c]
    deleted = [set(c[c.index("--delete") + 1].split(",")) for c in sets]
    assert deleted[0] == {"net0", "net1", "ide2", "cicustom"} and deleted[1] == {"net0"}
    log = state_of(node)["calls"]
    assert log.index(sets[0]) < log.index(starts[0])
    # the fake records each copy's config at its start: no NIC, no cloud-init, no protection, no start on boot
    for config in state_of(node)["starts"]:
        assert not [k for k in config if k.startswith("net") or k in ("cicustom", "ide2")]
        assert config["protection"] == "0" and config["onboot"] == "0"
        assert config["tags"] == "proxcloud-restore-drill"


def test_twin_a_copy_started_as_restored_fails_to_start(node: dict[str, Any]) -> None:
    """Without the isolation step the start fails (bridge and snippet are not on the drill node): the isolation
    check above is not vacuous, and the drill reports it."""
    runner = RUNNER.replace('if ! isolate "$kind" "$scratch" "$vmid"; then', "if false; then")
    done = drill(node, runner)
    assert done.returncode == 1
    rows = results(node)
    assert rows[0]["result"] == "FAIL"
    assert "bridge 'alphaweb' does not exist" in done.stderr


def test_rotation_goes_on_with_the_next_guests(node: dict[str, Any]) -> None:
    drill(node)
    drill(node)
    assert [r["vmid"] for r in results(node)] == ["1020", "5031", "3001", "1020"]
    assert (node["dir"] / "var" / "next").read_text().strip() == "1"


def test_a_foreign_guest_on_a_scratch_id_is_never_touched(node: dict[str, Any]) -> None:
    state = state_of(node)
    state["guests"][str(FIRST)] = {"kind": "qemu", "node": "pve3", "config": {"name": "someone"}, "running": True}
    patch_state(node, guests=state["guests"])
    done = drill(node)
    assert done.returncode == 0, done.stderr
    assert {r["scratch"] for r in results(node)} == {str(FIRST + 1)}
    touched = [c for c in state_of(node)["calls"] if str(FIRST) in c and c[1] not in ("config", "get")]
    assert touched == []
    assert str(FIRST) in state_of(node)["guests"]


def test_a_tagged_leftover_is_removed_first(node: dict[str, Any]) -> None:
    state = state_of(node)
    left = {"tags": "proxcloud-restore-drill", "protection": "0"}
    state["guests"][str(LAST)] = {"kind": "lxc", "node": "pve3", "config": left, "running": True, "answers": True}
    patch_state(node, guests=state["guests"])
    done = drill(node)
    assert done.returncode == 0, done.stderr
    assert LAST in state_of(node)["destroyed"] and str(LAST) not in state_of(node)["guests"]
    assert f"removing scratch copy {LAST} left by an earlier run" in done.stdout


def test_the_copy_a_crashed_run_was_restoring_is_removed(node: dict[str, Any]) -> None:
    """A crash between qmrestore and the isolation leaves an untagged, protected copy: the in-flight note finds it."""
    state = state_of(node)
    state["guests"][str(FIRST)] = {"kind": "qemu", "node": "pve3", "config": vm_config(1020), "running": False}
    patch_state(node, guests=state["guests"])
    (node["dir"] / "var").mkdir()
    (node["dir"] / "var" / "inflight").write_text(f"{FIRST} qemu\n")
    done = drill(node)
    assert done.returncode == 0, done.stderr
    assert state_of(node)["destroyed"][0] == FIRST


# ---------------------------------------------------------------- the runner: failures are reported


def test_twin_a_restore_that_does_not_answer_fails_the_drill_and_notifies(node: dict[str, Any]) -> None:
    patch_state(node, backups=backups(answers={1020: False}))
    done = drill(node)
    assert done.returncode == 1
    rows = results(node)
    assert [(r["vmid"], r["result"]) for r in rows] == [("1020", "FAIL"), ("5031", "OK")]
    assert rows[0]["message"] == "did not answer within 2s of its start"
    assert "FAIL alpha-influxdb (1020): did not answer within 2s" in done.stderr
    assert state_of(node)["destroyed"] == [FIRST, FIRST]  # destroyed all the same
    sent = (node["dir"] / "notified").read_text().split("---\n")
    args, details = sent[0].split(), sent[1]
    assert args[:2] == [TEMPLATE, DRILL_TYPE]
    assert "failed=1" in args and "tested=2" in args
    assert any(a.startswith("results-file=") for a in args)
    assert details.startswith("1020\talpha-influxdb\tqemu\tpbs-alpha:backup/vm/1020/")
    assert "restore drill: 1 of 2 guests came back" in done.stdout


def test_twin_a_guest_without_a_backup_fails(node: dict[str, Any]) -> None:
    b = backups()
    b["pbs-alpha"] = []
    patch_state(node, backups=b)
    done = drill(node)
    assert done.returncode == 1
    assert results(node)[0]["message"] == "no backup of 1020 found on pbs-alpha"


def test_twin_no_free_scratch_id_fails_without_touching_anything(node: dict[str, Any]) -> None:
    state = state_of(node)
    for vmid in range(FIRST, LAST + 1):
        state["guests"][str(vmid)] = {"kind": "qemu", "node": "pve2", "config": {}, "running": True}
    patch_state(node, guests=state["guests"])
    done = drill(node)
    assert done.returncode == 1
    assert {r["message"] for r in results(node)} == {f"no free scratch ID in {FIRST}-{LAST}"}
    assert calls(node, "qmrestore") == [] and state_of(node)["destroyed"] == []


def test_twin_without_clearing_protection_the_copy_could_not_be_destroyed(node: dict[str, Any]) -> None:
    """The fake refuses to destroy a protected copy, as PVE does: the drill's `--protection 0` is needed."""
    runner = RUNNER.replace("--protection 0 --onboot 0", "--onboot 0").replace(
        'qm set "$2" --protection 0 --skiplock 1', "true"
    )
    done = drill(node, runner)
    assert done.returncode == 1
    assert "can't remove" in done.stderr
    assert "could not be destroyed" in results(node)[0]["message"]


def test_a_second_run_while_one_is_going_refuses(node: dict[str, Any]) -> None:
    (node["dir"] / "var").mkdir()
    lock = subprocess.Popen(["flock", str(node["dir"] / "var" / "lock"), "sleep", "5"])
    try:
        import time

        time.sleep(0.3)
        done = drill(node)
    finally:
        lock.kill()
        lock.wait()
    assert done.returncode == 1 and "another restore drill is still running" in done.stderr


# ---------------------------------------------------------------- installer


@pytest.fixture
def systemctl(tmp_path: Path) -> dict[str, str]:
    bindir = tmp_path / "sysbin"
    bindir.mkdir()
    fake = bindir / "systemctl"
    fake.write_text(f'#!/bin/bash\necho "$*" >> {tmp_path}/systemctl.log\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    import os

    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PROXCLOUD_ROOT": str(tmp_path / "root")}


def test_install_writes_every_file_with_its_mode_and_is_idempotent(tmp_path: Path, systemctl: dict[str, str]) -> None:
    s = DrillSettings("local-zfs", FIRST, LAST, 2, 300, "Sun *-*-* 10:00")
    root = tmp_path / "root"
    for _ in range(2):
        done = subprocess.run(["bash", "-c", install_script(s, GUESTS)], env=systemctl, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    for path, text, mode in files(s, GUESTS):
        written = root / path.lstrip("/")
        assert written.read_text() == text, path
        if mode is not None:
            assert oct(written.stat().st_mode & 0o777) == oct(int(mode, 8)), path
    written_files = {"/" + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    assert written_files == {p for p, _, _ in files(s, GUESTS)}  # no temporary file left behind
    log = (tmp_path / "systemctl.log").read_text().splitlines()
    assert log == ["daemon-reload", "enable --now proxcloud-restore-drill.timer"] * 2
    assert parse_guest_list((root / "etc/proxcloud/restore-drill.guests").read_text()) == [
        (g.vm_id, g.kind, g.storage, g.name) for g in GUESTS
    ]


def test_remove_takes_the_drill_away_and_keeps_its_results(tmp_path: Path, systemctl: dict[str, str]) -> None:
    s = DrillSettings("local-zfs", FIRST, LAST, 2, 300, "Sun *-*-* 10:00")
    root = tmp_path / "root"
    subprocess.run(["bash", "-c", install_script(s, GUESTS)], env=systemctl, check=True)
    (root / "var/lib/proxcloud/restore-drill/results.tsv").write_text(RESULTS_HEADER + "\n")
    done = subprocess.run(["bash", "-c", remove_script()], env=systemctl, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [p for p, _, _ in files(s, GUESTS) if (root / p.lstrip("/")).exists()] == []
    assert (root / "var/lib/proxcloud/restore-drill/results.tsv").exists()
    assert "disable --now proxcloud-restore-drill.timer" in (tmp_path / "systemctl.log").read_text()


# ---------------------------------------------------------------- notification helper and templates

STUB_NOTIFY = """package PVE::Notify;
use strict;
use warnings;
use JSON::PP;
sub common_template_data { return { hostname => 'pve3', fqdn => 'pve3.example.net', 'cluster-name' => 'prod' }; }
sub error {
    my ($template, $data, $fields) = @_;
    open(my $fh, '>', $ENV{NOTIFY_OUT}) or die;
    print $fh JSON::PP->new->canonical->encode({ severity => 'error', template => $template, data => $data,
        fields => $fields });
    close($fh);
}
1;
"""


def test_notify_helper_sends_an_error_with_our_type_through_pve_notify(tmp_path: Path) -> None:
    """The real perl runs the helper against a stand-in PVE::Notify that records the call."""
    (tmp_path / "lib/PVE").mkdir(parents=True)
    (tmp_path / "lib/PVE/Notify.pm").write_text(STUB_NOTIFY)
    (tmp_path / "notify-error").write_text(NOTIFY_HELPER)
    import os

    env = {**os.environ, "PERL5LIB": str(tmp_path / "lib"), "NOTIFY_OUT": str(tmp_path / "out.json")}
    cmd = ["perl", str(tmp_path / "notify-error"), TEMPLATE, DRILL_TYPE, "failed=1", "tested=2", "results-file=/r"]
    done = subprocess.run(cmd, input="1020\tFAIL\n", env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    sent = json.loads((tmp_path / "out.json").read_text())
    assert sent["severity"] == "error" and sent["template"] == TEMPLATE
    assert sent["fields"] == {"type": DRILL_TYPE, "hostname": "pve3"}
    assert sent["data"]["failed"] == "1" and sent["data"]["details"] == "1020\tFAIL\n"
    assert sent["data"]["fqdn"] == "pve3.example.net"
    bad = subprocess.run(["perl", str(tmp_path / "notify-error"), TEMPLATE], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "usage" in bad.stderr  # twin: a call without a type is refused


PROVIDED = {"hostname", "fqdn", "cluster-name", "failed", "tested", "results-file", "details"}


def template_names(text: str) -> set[str]:
    return set(re.findall(r"{{\s*([A-Za-z0-9_-]+)\s*}}", text))


def test_templates_use_only_what_the_helper_provides() -> None:
    assert set(templates()) == {f"{TEMPLATE}-subject.txt.hbs", f"{TEMPLATE}-body.txt.hbs"}
    for text in templates().values():
        assert template_names(text) and template_names(text) <= PROVIDED
    # the runner passes the keys the templates use
    assert all(f'"{k}=' in RUNNER for k in ("failed", "tested", "results-file"))
    assert not template_names("{{failures}} of {{tested}}") <= PROVIDED  # twin: an unknown name is caught
