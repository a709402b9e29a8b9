"""What the notebooks call, and nothing the models need.

- :mod:`.setup`: ``setup_notebook()`` (seeds, quiet transformers, print precision, plot style) and
  ``environment_check()`` (chapter 00)
- :mod:`.plotting`: the course's plot style, colours and two plotting helpers (CJK font fallback)
- :mod:`.parity`: ``parity_report``, which compares one of our models with the transformers class
  of the same name on the same weights and inputs (outputs and gradients)
"""

from .setup import environment_check, quiet_transformers, seed_everything, setup_notebook

__all__ = ["setup_notebook", "environment_check", "quiet_transformers", "seed_everything"]
