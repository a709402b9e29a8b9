"""`make lab` (tools/lab.py) starts Jupyter Lab for a normal user and for root, headless, on a chosen port (issue 15).

The live test starts the server as the user running the tests (root on CI: the --allow-root path), waits for
the printed URL to answer, fetches /lab from 127.0.0.1 with the printed token and expects HTTP 200, then stops
the server's whole process group. Bounded: at most 120 s of waiting, loopback only, nothing left running.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("jupyterlab", reason="Jupyter Lab is in the course environment (.venv), not in .venv-hf4")

from tools import lab  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent
LAB = [sys.executable, "-m", "tools.lab"]  # what `make lab` runs, from ROOT (cwd=ROOT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("is_root", [False, True])
@pytest.mark.parametrize("display", [False, True])
def test_command_line(is_root, display):
    command = lab.lab_command(8899, "t0ken", is_root=is_root, display=display)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert ("--allow-root" in command) == is_root, command
    assert ("--no-browser" in command) == (not display), command
    for option in ("--ServerApp.ip=127.0.0.1", "--ServerApp.port=8899", "--ServerApp.port_retries=0",
                   "--IdentityProvider.token=t0ken"):
        assert option in command, command


@pytest.mark.parametrize("port, message", [("abc", "PORT must be a number"), ("80", "PORT must be a number")])
def test_bad_port_is_named(port, message):
    result = subprocess.run([*LAB, "--port", port], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_busy_port_is_named():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([*LAB, "--port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and f"port {port} is already in use" in result.stderr, result.stderr


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_lab_starts_answers_and_stops(tmp_path):
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)  # headless, as on a server: no browser may be tried
    log = open(tmp_path / "server.log", "w+")
    server = subprocess.Popen([*LAB, "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=log, stdin=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    try:
        printed = [lines.get(timeout=60).rstrip("\n") for _ in range(2)]
        url = printed[-1]
        parts = urllib.parse.urlsplit(url)
        assert parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port == port, printed
        token = urllib.parse.parse_qs(parts.query)["token"][0]
        assert "no display" in printed[0] and ("as root" in printed[0]) == (os.geteuid() == 0), printed
        status, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = _get(f"http://127.0.0.1:{port}/lab?token={token}")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        log.seek(0)
        server_log = log.read()
        assert status == 200, f"/lab answered {status}; exit code {server.poll()}; server log:\n{server_log[-3000:]}"
        assert _get(url) == 200, url  # the printed address itself opens the notebooks folder
        assert _get(f"http://127.0.0.1:{port}/api/status") == 403, "the server must ask for the token"
        assert "Running as root is not recommended" not in server_log
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        log.close()
    assert server.poll() is not None, "the server is still running"
    with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert lab.port_is_free(port), f"port {port} still taken after the server stopped"
