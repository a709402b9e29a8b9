"""Shared test set-up: offline, seeded, and small helpers every parity test uses."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.notebook import quiet_transformers  # noqa: E402

quiet_transformers()
# The test models are tiny: one thread avoids thread start-up and synchronisation costs that would
# dominate their run time (and keeps timings steady when other processes share the CPU).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
