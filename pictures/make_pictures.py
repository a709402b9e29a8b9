"""Redraw every course diagram, in English and in Chinese: runs each ``pictures/draw_*.py`` once per
language (``make pictures``).

Each draw script is standalone (``python pictures/draw_bert_flow.py`` draws the English picture) and
writes its PNG next to itself; the Chinese pass writes to ``pictures/zh-CN/``, with every text taken from
``translations/zh-CN/pictures.json`` (see ``diagram.tr``). An entry that no picture uses any more is
reported, so the table stays the list of what is drawn. The PNGs are committed so notebooks and the site
need no drawing step.
"""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh-CN")


def draw_all(out: Path = HERE) -> int:
    """Run every draw script once per language, writing under ``out``; returns the number of scripts."""
    sys.path.insert(0, str(HERE))
    import diagram

    scripts = sorted(HERE.glob("draw_*.py"))
    diagram.OUT = out
    try:
        for language in LANGUAGES:
            diagram.use_language(language)
            diagram.USED.clear()
            for script in scripts:
                runpy.run_path(str(script), run_name="__main__")
            if language != "en":
                unused = sorted(set(diagram._table()) - diagram.USED)
                if unused:
                    raise ValueError(f"{diagram.table_path(language)}: entries that no picture draws: {unused}")
    finally:
        diagram.use_language("en")
        diagram.OUT = HERE
    return len(scripts)


if __name__ == "__main__":
    print(f"{draw_all()} diagram scripts run, in {len(LANGUAGES)} languages")
