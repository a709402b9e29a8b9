"""Redraw every course diagram: runs each ``pictures/draw_*.py`` in turn (``make pictures``).

Each draw script is standalone (``python pictures/draw_bert_flow.py`` works too) and writes one or
more PNGs next to itself. The PNGs are committed so notebooks and the site need no drawing step.
"""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    scripts = sorted(HERE.glob("draw_*.py"))
    for script in scripts:
        runpy.run_path(str(script), run_name="__main__")
    print(f"{len(scripts)} diagram scripts run")
