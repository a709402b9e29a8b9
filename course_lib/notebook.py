"""One call at the top of every notebook: reproducible, quiet, readable.

    from course_lib.notebook import setup_notebook
    setup_notebook()

- seeds Python, NumPy and torch, so every number in a committed notebook comes back the same;
- silences transformers' load reports and progress bars, which would otherwise print different
  text on different runs (and make ``pytest --nbval`` fail for no good reason);
- makes torch print 4 decimals, so tiny float noise does not change the printed text;
- switches matplotlib to the course style (:mod:`course_lib.plotting`).
"""

from __future__ import annotations

import os
import random
import warnings


def seed_everything(seed: int = 0) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def quiet_transformers() -> None:
    """Hide transformers' progress bars, load reports and advisory warnings."""
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


def setup_notebook(seed: int = 0, threads: int | None = None) -> None:
    """Seed, silence, set print options and the plot style. ``threads`` pins torch's thread count
    (the course's reference outputs were made with the default on a 2-core machine)."""
    import torch

    quiet_transformers()
    seed_everything(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    torch.set_printoptions(precision=4, sci_mode=False)
    try:
        from .plotting import use_course_style

        use_course_style()
    except ImportError:  # matplotlib missing: plots will fail later, with a clear error there
        pass
