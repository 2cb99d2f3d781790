"""influxdb.conf: every key is one Debian's influxd 1.x knows. influxd silently ignores unknown keys, so the check
asks the binary itself: `influxd config -config C` prints the merged configuration with every key it has."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from render.monitoring import influxdb_conf
from render.monitoring.influxdb import influxdb_settings
from tests.support.monitoring_fixtures import params


def influxd_known_config(conf_text: str, tmp_path: Path) -> dict[str, Any]:
    exe = shutil.which("influxd")
    assert exe, "influxdb is not installed: run `make test` (deps/apt-monitoring.txt)"
    path = tmp_path / "influxdb.conf"
    path.write_text(conf_text)
    result = subprocess.run([exe, "config", "-config", str(path)], capture_output=True, text=True, check=True)
    return tomllib.loads(result.stdout)


def unknown_keys(ours: dict[str, Any], known: dict[str, Any], prefix: str = "") -> list[str]:
    problems = []
    for key, value in ours.items():
        if key not in known:
            problems.append(prefix + key)
        elif isinstance(value, dict):
            problems += unknown_keys(value, known[key], f"{prefix}{key}.")
    return problems


def test_every_influxdb_key_is_known_to_influxd_and_taken(tmp_path: Path) -> None:
    text = influxdb_conf(params())
    known = influxd_known_config(text, tmp_path)
    assert unknown_keys(tomllib.loads(text), known) == []
    # influxd took our values (the merged dump shows them back).
    assert known["http"]["bind-address"] == "192.168.20.10:8086"
    assert known["http"]["pprof-enabled"] is False and known["meta"]["retention-autocreate"] is False
    assert known["reporting-enabled"] is False and known["http"]["auth-enabled"] is True


def test_key_check_fails_on_a_key_influxd_does_not_know(tmp_path: Path) -> None:
    settings = influxdb_settings(params())
    settings["reporting-disabled"] = True  # upstream's name; Debian's build calls it reporting-enabled
    settings["http"]["bind-adress"] = "0.0.0.0:8086"
    text = tomli_w.dumps(settings)
    assert unknown_keys(tomllib.loads(text), influxd_known_config(text, tmp_path)) == [
        "reporting-disabled",
        "http.bind-adress",
    ]
