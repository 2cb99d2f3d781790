"""Central logs renderers against their real readers: rsyslogd -N1, the Docker Compose binary, cloud-init schema,
shellcheck; each check seen failing on a broken twin."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from render.cloudinit import CloudConfig, render_user_data, user_data
from render.logging import (
    GRAYLOG_ENV_FILE,
    MAX_MAP_COUNT,
    RSYSLOG_DROPIN,
    SYSCTL_FILE,
    GraylogParams,
    TcpFraming,
    graylog_compose,
    graylog_compose_doc,
    graylog_env_file,
    graylog_input_script,
    graylog_vm_cloud_config,
    rsyslog_cloud_config_fragment,
    rsyslog_container_script,
    rsyslog_forward_conf,
)
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema
from tests.support.compose import compose_binary, compose_config
from tests.support.rsyslog_harness import rsyslog_check
from tests.support.shell import shellcheck

COLLECTOR = "10.10.10.20"
SECRET = "s3cr3t-pepper-$HOME-0123456789"
ROOT_PW = "admin-pa$$word"
KEYS = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@proxcloud",)


def params() -> GraylogParams:
    return GraylogParams(internal_address=COLLECTOR, external_uri="https://logs.dev.example.net/")


# --- rsyslog ----------------------------------------------------------------------------------------------------


def check_conf(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "forward.conf"
    path.write_text(text)
    return rsyslog_check(path)


@pytest.mark.parametrize("framing", list(TcpFraming))
def test_forward_conf_passes_rsyslogd_check(framing: TcpFraming, tmp_path: Path) -> None:
    result = check_conf(rsyslog_forward_conf(COLLECTOR, framing=framing), tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('queue.type="LinkedList"', 'queue.type="LinkList"'),  # an unknown queue type
        ("queue.saveOnShutdown", "queue.saveOnShutdwn"),  # a misspelt parameter
        ('protocol="tcp"', 'protocol="tcp'),  # an unterminated string
        (")\n", "\n"),  # an unclosed action
    ],
)
def test_rsyslogd_check_fails_on_a_broken_conf(old: str, new: str, tmp_path: Path) -> None:
    text = rsyslog_forward_conf(COLLECTOR)
    assert old in text
    assert check_conf(text.replace(old, new), tmp_path).returncode != 0


def debian_main_conf(tmp_path: Path, dropin: str) -> Path:
    """Debian's own /etc/rsyslog.conf with its include directory and work directory moved into tmp_path."""
    main = Path("/etc/rsyslog.conf").read_text()
    assert "$IncludeConfig /etc/rsyslog.d/*.conf" in main, "not Debian's rsyslog.conf"
    conf_d = tmp_path / "rsyslog.d"
    conf_d.mkdir()
    (conf_d / Path(RSYSLOG_DROPIN).name).write_text(dropin)
    spool = tmp_path / "spool"
    spool.mkdir()
    main = main.replace("$IncludeConfig /etc/rsyslog.d/*.conf", f"$IncludeConfig {conf_d}/*.conf")
    main = main.replace("$WorkDirectory /var/spool/rsyslog", f"$WorkDirectory {spool}")
    path = tmp_path / "rsyslog.conf"
    path.write_text(main)
    return path


def test_dropin_passes_inside_debians_rsyslog_conf(tmp_path: Path) -> None:
    conf = debian_main_conf(tmp_path, rsyslog_forward_conf(COLLECTOR, queue_dir=str(tmp_path / "spool")))
    result = rsyslog_check(conf)
    assert result.returncode == 0, result.stderr


def test_debian_context_check_fails_on_a_broken_dropin(tmp_path: Path) -> None:
    broken = rsyslog_forward_conf(COLLECTOR).replace('type="omfwd"', 'type="omfwdx"')
    assert rsyslog_check(debian_main_conf(tmp_path, broken)).returncode != 0


def test_debian_reads_the_journal_through_imuxsock_so_no_imjournal() -> None:
    """The reason the drop-in adds no input: Debian's rsyslog.conf loads imuxsock and Debian's journald forwards
    to the syslog socket by default; imjournal on top would forward every message twice."""
    main = Path("/etc/rsyslog.conf").read_text()
    assert re.search(r'^module\(load="imuxsock"\)', main, re.M)
    assert "imjournal" not in main
    journald = Path("/etc/systemd/journald.conf")
    if journald.exists():  # Debian ships the defaults commented out
        assert "#ForwardToSyslog=yes" in journald.read_text()
    assert "imjournal" not in rsyslog_forward_conf(COLLECTOR)


def test_forward_conf_is_tcp_rfc5424_with_a_disk_assisted_queue() -> None:
    text = rsyslog_forward_conf(COLLECTOR, 1514, queue_dir="/var/spool/rsyslog", queue_max_disk="2g")
    params = dict(re.findall(r'^\s+([\w.]+)="([^"]*)"$', text, re.M))
    assert params == {
        "name": "fwd_central",
        "type": "omfwd",
        "target": COLLECTOR,
        "port": "1514",
        "protocol": "tcp",
        "TCP_Framing": "traditional",
        "template": "RSYSLOG_SyslogProtocol23Format",
        "queue.type": "LinkedList",
        "queue.filename": "fwd_graylog",
        "queue.spoolDirectory": "/var/spool/rsyslog",
        "queue.maxDiskSpace": "2g",
        "queue.size": "100000",
        "queue.dequeueBatchSize": "16",
        "queue.saveOnShutdown": "on",
        "action.resumeRetryCount": "-1",
        "action.resumeInterval": "10",
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"collector_host": "bad host"}, "neither an IP address nor a DNS name"),
        ({"collector_host": 'x"; rm'}, "neither an IP address nor a DNS name"),
        ({"collector_port": 0}, "not a TCP port"),
        ({"queue_dir": "relative/dir"}, "absolute path"),
        ({"queue_max_disk": "1 GB"}, "size like"),
        ({"queue_file": "../x"}, "file name prefix"),
        ({"dequeue_batch_size": 0}, "dequeue_batch_size"),
    ],
)
def test_forward_conf_refuses_bad_input(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"collector_host": COLLECTOR, **kwargs}
    with pytest.raises(ValueError, match=match):
        rsyslog_forward_conf(**args)  # type: ignore[arg-type]


def test_fragment_merges_into_any_vm_and_passes_cloud_init_schema(tmp_path: Path) -> None:
    vm = CloudConfig(hostname="wp-web", ssh_keys=KEYS, packages=("apache2",), runcmd=(("a2enmod", "ssl"),))
    merged = rsyslog_cloud_config_fragment(COLLECTOR).merge(vm)
    doc = user_data(merged)
    assert {"apache2", "rsyslog"} <= set(doc["packages"])
    assert doc["runcmd"][-1] == ["systemctl", "restart", "rsyslog"]
    assert ["a2enmod", "ssl"] in doc["runcmd"]
    dropin = next(f for f in doc["write_files"] if f["path"] == RSYSLOG_DROPIN)
    assert dropin["content"] == rsyslog_forward_conf(COLLECTOR)
    assert_valid_cloud_config(render_user_data(merged), tmp_path)


# --- the container variant -------------------------------------------------------------------------------------


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for script in (rsyslog_container_script(COLLECTOR), graylog_input_script(params())):
        result = shellcheck(script, tmp_path, severity="style")
        assert result.returncode == 0, result.stdout


def test_shellcheck_catches_a_broken_script(tmp_path: Path) -> None:
    text = rsyslog_container_script(COLLECTOR)
    broken = text.replace('install -d -m 0755 "$ROOT/etc', "install -d -m 0755 $ROOT/etc")
    assert broken != text
    assert shellcheck(broken, tmp_path, severity="style").returncode != 0


def test_container_script_installs_a_conf_rsyslogd_accepts(tmp_path: Path) -> None:
    root = tmp_path / "root"
    spool = "/var/spool/rsyslog-fwd"
    script = tmp_path / "ct.sh"
    script.write_text(rsyslog_container_script(COLLECTOR, queue_dir=spool))
    env = {**os.environ, "ROOT": str(root)}
    for _ in range(2):  # idempotent: a second run changes nothing and succeeds
        result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
    installed = root / RSYSLOG_DROPIN.lstrip("/")
    assert installed.read_text() == rsyslog_forward_conf(COLLECTOR, queue_dir=spool)
    assert (root / spool.lstrip("/")).is_dir()
    assert oct((root / spool.lstrip("/")).stat().st_mode & 0o777) == "0o700"
    assert rsyslog_check(installed).returncode == 0


# --- Graylog ----------------------------------------------------------------------------------------------------


def env_files() -> dict[str, str]:
    return {GRAYLOG_ENV_FILE: graylog_env_file(SECRET, ROOT_PW)}


def test_graylog_compose_passes_docker_compose_config(tmp_path: Path) -> None:
    result = compose_config(graylog_compose(params()), tmp_path / "graylog", env_files())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("old", "new", "files"),
    [
        (f"{COLLECTOR}:9000:9000/tcp", f"{COLLECTOR}:9000:9000/tcpx", True),  # a bad port protocol
        ("depends_on:\n    - mongodb", "depends_on:\n    - mongo", True),  # depends on a service that is not there
        ("", "", False),  # the secret env file is missing
    ],
)
def test_compose_check_fails_on_a_broken_project(old: str, new: str, files: bool, tmp_path: Path) -> None:
    text = graylog_compose(params())
    assert old in text
    result = compose_config(text.replace(old, new), tmp_path / "graylog", env_files() if files else {})
    assert result.returncode != 0


def test_graylog_images_pinned_published_on_the_internal_address_only() -> None:
    doc = graylog_compose_doc(params())
    services = doc["services"]
    for svc in services.values():
        image = svc["image"]
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", image), image
    assert "ports" not in services["mongodb"] and "ports" not in services["opensearch"]
    assert services["graylog"]["ports"] == [f"{COLLECTOR}:9000:9000/tcp", f"{COLLECTOR}:1514:1514/tcp"]
    env = services["graylog"]["environment"]
    assert not {"GRAYLOG_PASSWORD_SECRET", "GRAYLOG_ROOT_PASSWORD_SHA2"} & set(env)
    assert env["GRAYLOG_HTTP_EXTERNAL_URI"] == "https://logs.dev.example.net/"
    assert SECRET not in graylog_compose(params())


def test_secrets_reach_graylog_unchanged(tmp_path: Path) -> None:
    """The real Compose binary resolves the env file: the pepper (with a $) arrives literally, the root password
    as its SHA-256, as Graylog's GRAYLOG_ROOT_PASSWORD_SHA2 expects."""
    project = tmp_path / "graylog"
    assert compose_config(graylog_compose(params()), project, env_files()).returncode == 0
    result = subprocess.run(
        [str(compose_binary()), "-f", str(project / "compose.yaml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    env = json.loads(result.stdout)["services"]["graylog"]["environment"]
    env = {k: v.replace("$$", "$") for k, v in env.items()}
    assert env["GRAYLOG_PASSWORD_SECRET"] == SECRET
    assert env["GRAYLOG_ROOT_PASSWORD_SHA2"] == hashlib.sha256(ROOT_PW.encode()).hexdigest()


@pytest.mark.parametrize("bad", ["short", "has'quote-0123456789", "line\nbreak-0123456789"])
def test_env_file_refuses_values_compose_would_misread(bad: str) -> None:
    with pytest.raises(ValueError, match="password_secret"):
        graylog_env_file(bad, ROOT_PW)


def test_graylog_vm_cloud_config_passes_cloud_init_schema(tmp_path: Path) -> None:
    cfg = graylog_vm_cloud_config(
        params(), hostname="graylog", ssh_keys=KEYS, password_secret=SECRET, root_password=ROOT_PW
    )
    text = render_user_data(cfg)
    assert_valid_cloud_config(text, tmp_path)
    doc = yaml.safe_load(text.removeprefix("#cloud-config\n"))
    files = {f["path"]: f for f in doc["write_files"]}
    assert files[SYSCTL_FILE]["content"] == f"vm.max_map_count = {MAX_MAP_COUNT}\n"
    assert files[f"/opt/graylog/{GRAYLOG_ENV_FILE}"]["permissions"] == "0600"
    assert files["/opt/graylog/admin-password"]["permissions"] == "0600"
    assert files["/opt/graylog/compose.yaml"]["content"] == graylog_compose(params())
    assert {"docker-ce", "docker-compose-plugin", "rsyslog"} <= set(doc["packages"])
    assert "docker.list" in doc["apt"]["sources"]
    runcmd = [" ".join(c) if isinstance(c, list) else c for c in doc["runcmd"]]
    sysctl = runcmd.index(f"sysctl -p {SYSCTL_FILE}")
    up = next(i for i, c in enumerate(runcmd) if c.startswith("docker compose") and c.endswith("up -d"))
    assert sysctl < up < runcmd.index("/opt/graylog/create-syslog-input.sh")
    # The Graylog VM's own logs go to its own input.
    assert files[RSYSLOG_DROPIN]["content"] == rsyslog_forward_conf(COLLECTOR, 1514)


def test_cloud_init_schema_fails_on_a_broken_graylog_config(tmp_path: Path) -> None:
    cfg = graylog_vm_cloud_config(
        params(), hostname="graylog", ssh_keys=KEYS, password_secret=SECRET, root_password=ROOT_PW
    )
    text = render_user_data(cfg).replace("package_upgrade: true", "package_upgrade: sometimes")
    assert "package_upgrade: sometimes" in text
    assert cloud_init_schema(text, tmp_path).returncode != 0
