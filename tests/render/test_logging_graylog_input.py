"""The Graylog input script against a stand-in for Graylog's REST API on 127.0.0.1: it waits for the node, creates
the Syslog TCP input once (idempotent), authenticates as admin and sends the X-Requested-By header Graylog
requires for writes. The stand-in answers only what Graylog documents for these three calls."""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from services.logs.render import GRAYLOG_ADMIN_FILE, GraylogParams, graylog_input_payload, graylog_input_script

PASSWORD = "admin-pa$$ 'word"


@dataclass
class FakeGraylog:
    """State of the stand-in: requests seen and inputs stored."""

    not_ready_for: int = 2  # lbstatus answers 503 this many times first, like a node still starting
    inputs: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0
    lbstatus_calls: int = 0


def _handler(state: FakeGraylog) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: object) -> None:
            data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/api/system/lbstatus":  # no authentication, like Graylog
                state.lbstatus_calls += 1
                ready = state.lbstatus_calls > state.not_ready_for
                return self._send(200 if ready else 503, "ALIVE" if ready else "DEAD")
            if self.headers.get("Authorization") != expected_auth:
                return self._send(401, {"message": "unauthorized"})
            if self.path == "/api/system/inputs":
                return self._send(200, {"inputs": state.inputs, "total": len(state.inputs)})
            return self._send(404, {"message": "not found"})

        def do_POST(self) -> None:
            if self.headers.get("Authorization") != expected_auth:
                return self._send(401, {"message": "unauthorized"})
            if not self.headers.get("X-Requested-By"):  # Graylog's CSRF protection
                return self._send(400, {"message": "missing X-Requested-By"})
            if self.path != "/api/system/inputs" or self.headers.get("Content-Type") != "application/json":
                return self._send(415, {"message": "unsupported"})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.posts += 1
            state.inputs.append({**body, "attributes": body["configuration"], "id": f"input{state.posts}"})
            return self._send(201, {"id": f"input{state.posts}"})

    return Handler


@pytest.fixture
def graylog() -> Iterator[tuple[FakeGraylog, str]]:
    state = FakeGraylog()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_script(tmp_path: Path, api: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    params = GraylogParams(internal_address="10.10.10.20", directory=str(tmp_path))
    (tmp_path / GRAYLOG_ADMIN_FILE).write_text(password)
    script = tmp_path / "create-input.sh"
    script.write_text(graylog_input_script(params, api_url=api))
    env = {"PATH": "/usr/bin:/bin", "GRAYLOG_WAIT_SECONDS": "0.1", "GRAYLOG_WAIT_TRIES": "20"}
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_creates_the_syslog_input_once(graylog: tuple[FakeGraylog, str], tmp_path: Path) -> None:
    state, api = graylog
    first = run_script(tmp_path, api)
    assert first.returncode == 0, first.stderr
    assert state.lbstatus_calls >= 3  # it waited for the node to be ready
    assert state.posts == 1
    created = {k: v for k, v in state.inputs[0].items() if k not in ("attributes", "id")}
    assert created == graylog_input_payload(GraylogParams(internal_address="10.10.10.20"))
    second = run_script(tmp_path, api)
    assert second.returncode == 0, second.stderr
    assert "input exists" in second.stdout
    assert state.posts == 1


def test_fails_without_the_right_admin_password(graylog: tuple[FakeGraylog, str], tmp_path: Path) -> None:
    """The twin: with a wrong password the API refuses, the script exits non-zero and creates nothing."""
    state, api = graylog
    result = run_script(tmp_path, api, password="wrong")
    assert result.returncode != 0
    assert state.posts == 0
