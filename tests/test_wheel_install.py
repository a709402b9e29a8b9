"""The course's package as a learner gets it from PyPI (``pip install bert-heads-course[notebooks]``).

The sdist and the wheel are built once, the way ``make dist`` builds them, from a copy of what the sdist needs
(pyproject.toml, README, LICENSE, MANIFEST.in, course_lib/): the build writes nothing into the checkout. Then:

- the wheel holds every file of the checkout's course_lib/ (the modules are found by walking the folder, not
  listed here, so a module that moves into a subpackage is still checked);
- twine (``--strict``, as ``make dist`` runs it) passes both artefacts: metadata and README fit for PyPI;
- the wheel, installed into a FRESH virtual environment and used from a folder outside the checkout, imports
  every public module of course_lib, and it is the installed copy that imports, not the checkout's.

Runs in seconds and downloads nothing: the fresh environment gets the wheel with ``--no-deps --no-index`` and
borrows the dependencies (torch, transformers, ...) already installed in the environment running the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import HeaderParser
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import tomllib

# The packaging tools come with the dev extra; the small transformers-4.57 environment has neither. Asked of the
# installed distributions, not by import: the checkout's build/ output folder imports as a namespace package "build".
for _tool in ("build", "twine"):
    try:
        version(_tool)
    except PackageNotFoundError:
        pytest.skip(f"needs {_tool} (the dev extra): not in the transformers-4.57 environment", allow_module_level=True)

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_lib"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _course_files() -> list[Path]:
    """Every file of course_lib/ that a build should ship: no byte code, nothing hidden (editor or OS files)."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in {".pyc", ".pyo"}
                  and not any(part.startswith(".") for part in p.relative_to(ROOT).parts))


def public_modules() -> list[str]:
    """Dotted names of course_lib and every module below it whose path has no part starting with "_"
    (``__init__.py`` stands for its package)."""
    modules = []
    for path in _course_files():
        if path.suffix != ".py":
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            modules.append(".".join(parts))
    return modules


def _copy_build_input(dest: Path) -> None:
    """What the sdist is made from: pyproject.toml, the files it names, MANIFEST.in, and course_lib/."""
    readme = PROJECT["readme"] if isinstance(PROJECT["readme"], str) else PROJECT["readme"]["file"]
    names = ["pyproject.toml", "MANIFEST.in", readme, *PROJECT.get("license-files", [])]
    for name in names:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, dest / name)
    for path in _course_files():
        target = dest / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel, built as `make dist` does (the wheel from the sdist, .venv's own setuptools)."""
    work = tmp_path_factory.mktemp("dist")
    source, out = work / "source", work / "dist"
    source.mkdir()
    _copy_build_input(source)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source])
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_the_module_walk_finds_the_course_modules():
    """The list the import test works through is real (an empty walk would pass it vacuously)."""
    modules = public_modules()
    assert "course_lib" in modules and "course_lib.exercises" in modules and len(modules) > 20, modules


def test_the_wheel_holds_every_file_of_course_lib_and_its_metadata(artefacts):
    import course_lib

    with zipfile.ZipFile(artefacts["wheel"]) as wheel:
        names = set(wheel.namelist())
        dist_info = f"{PROJECT['name'].replace('-', '_')}-{course_lib.__version__}.dist-info"
        metadata = HeaderParser().parsestr(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
    missing = [p.relative_to(ROOT).as_posix() for p in _course_files() if p.relative_to(ROOT).as_posix() not in names]
    assert missing == [], f"the wheel lacks {missing}: see [tool.setuptools] in pyproject.toml"
    assert {name.split("/")[0] for name in names} == {"course_lib", dist_info}, "only course_lib goes in the wheel"
    assert f"{dist_info}/licenses/LICENSE" in names
    # one version: course_lib.__version__ is what the distribution says
    assert (metadata["Name"], metadata["Version"]) == (PROJECT["name"], course_lib.__version__)
    assert metadata["License-Expression"] == "Apache-2.0" and metadata["Requires-Python"] == PROJECT["requires-python"]
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_twine_passes_the_sdist_and_the_wheel(artefacts):
    done = _run([sys.executable, "-m", "twine", "--no-color", "check", "--strict",
                 artefacts["sdist"], artefacts["wheel"]])
    assert done.stdout.count("PASSED") == 2, done.stdout


IMPORT_EVERY_MODULE = """
import importlib, json, sys
import course_lib
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:  # report every module that fails, not only the first
        failed[name] = f"{type(error).__name__}: {error}"
print(json.dumps({"course_lib": course_lib.__file__, "failed": failed}))
"""


def test_the_wheel_installs_into_a_fresh_venv_and_every_public_module_imports(artefacts, tmp_path):
    venv = tmp_path / "fresh venv"
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # no pip inside: the running environment's pip installs into it (--python)
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    # The wheel alone: --no-deps --no-index, so nothing is downloaded. It is installed before the .pth below
    # exists, so pip sees an empty environment (not the course environment's own editable install of the course).
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
          "--no-compile", artefacts["wheel"]])
    # The dependencies are borrowed: a .pth file in the fresh site-packages appends the running environment's
    # site-packages to sys.path, AFTER the fresh one, so the installed course_lib comes first. A path line only
    # (no `import site; site.addsitedir`), so the .pth files over there, such as the editable install's hook
    # that points at the checkout, are not run.
    fresh_site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    borrowed = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (fresh_site / "borrowed_course_dependencies.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    modules = public_modules()
    # -I: no PYTHONPATH, no user site, not even the current folder on sys.path; and the current folder is outside
    # the checkout anyway
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    done = _run([python, "-I", "-c", IMPORT_EVERY_MODULE, *modules], cwd=tmp_path, env=env)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["course_lib"]).resolve().is_relative_to(fresh_site.resolve()), (
        f"course_lib was imported from {report['course_lib']}, not from the wheel installed in {fresh_site}")
    assert report["failed"] == {}, f"in the installed wheel, {len(report['failed'])} of {len(modules)} modules " \
                                   f"do not import: {report['failed']}"
