"""Start Jupyter Lab on the course notebooks (``make lab``; ``make lab PORT=8899`` for another port).

    python -m tools.lab                  # port 8888
    python -m tools.lab --port 8899

Works the same for a normal user and for root (``--allow-root`` is passed only when the user id is 0, where
Jupyter refuses to start without it), and on a machine with no display (a server, a container, WSL without
a browser): Jupyter is then told not to try to open a browser. The server listens on 127.0.0.1 only.

The token is chosen here, so the one URL to open is printed before Jupyter starts, as the last line before
the server's own log. Stop the server with Ctrl-C (twice, or answer y).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def has_display() -> bool:
    """Whether a browser could open here: always on macOS and Windows; on Linux only with X11 or Wayland."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def port_number(text: str) -> int:
    """A port from the command line or ``make lab PORT=...``, with an error that says what is wrong."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"PORT must be a number from 1024 to 65535, not {text!r}") from None
    if not 1024 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"PORT must be a number from 1024 to 65535, not {port}")
    return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as Jupyter binds: a port that only has closed connections waiting out their TIME_WAIT is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def lab_command(port: int, token: str, folder: str = "notebooks", is_root: bool | None = None,
                display: bool | None = None) -> list[str]:
    """The ``jupyter lab`` command line (as ``python -m jupyterlab``, so it is this environment's Jupyter)."""
    is_root = os.geteuid() == 0 if is_root is None and hasattr(os, "geteuid") else bool(is_root)
    display = has_display() if display is None else display
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # the printed URL is the real one, or Jupyter stops with an error
        f"--ServerApp.root_dir={ROOT}",  # the checkout, so a chapter's links to ../solutions/ open
        f"--IdentityProvider.token={token}",
    ]
    if is_root:
        command.append("--allow-root")
    command.append(f"--ServerApp.default_url=/lab/tree/{folder}")
    if not display:
        command.append("--no-browser")
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # a string default goes through port_number only when --port is not given: PORT=80 ... --port 8932 works,
    # and a bad $PORT alone ends in argparse's one-line error
    parser.add_argument("--port", type=port_number, default=os.environ.get("PORT") or "8888",
                        help="port on 127.0.0.1 (default: $PORT or 8888)")
    parser.add_argument("--folder", default="notebooks", help="folder to open, inside the checkout")
    args = parser.parse_args(argv)
    if not (ROOT / args.folder).is_dir():
        parser.error(f"no folder {args.folder} in {ROOT}")
    if not port_is_free(args.port):
        parser.error(f"port {args.port} is already in use (another Jupyter?): choose another, "
                     f"e.g. make lab PORT={args.port + 11}")
    token = secrets.token_hex(24)
    command = lab_command(args.port, token, args.folder)
    url = f"http://{HOST}:{args.port}/lab/tree/{args.folder}?token={token}"
    how = "as root, " if "--allow-root" in command else ""
    how += "no display: open it in your browser" if "--no-browser" in command else "your browser opens it"
    print(f"Jupyter Lab on the course ({how}). Stop it with Ctrl-C.", flush=True)
    print(url, flush=True)
    os.chdir(ROOT)
    os.execv(command[0], command)  # Jupyter takes over this process: Ctrl-C and kill reach it directly
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
