"""Redraw every course diagram, in English and in Chinese: runs each ``pictures/draw_*.py`` once per
language (``python -m pictures.make_pictures``, what ``make pictures`` runs).

Each draw script is standalone (``python -m pictures.draw_bert_flow`` draws the English picture) and
writes its PNG next to itself; the Chinese pass writes to ``pictures/zh-CN/``, with every text taken from
``translations/zh-CN/pictures.json`` (see ``diagram.tr``). An entry that no picture uses any more is
reported, so the table stays the list of what is drawn. The PNGs are committed so notebooks and the site
need no drawing step.
"""

import runpy
from pathlib import Path

from pictures import diagram

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh-CN")


def draw_all(out: Path = HERE) -> int:
    """Run every draw script once per language, writing under ``out``; returns the number of scripts."""
    scripts = sorted(HERE.glob("draw_*.py"))
    diagram.OUT = out
    try:
        for language in LANGUAGES:
            diagram.use_language(language)
            diagram.USED.clear()
            for script in scripts:
                # as `python -m pictures.draw_x` runs it: as __main__, so it draws
                runpy.run_module(f"pictures.{script.stem}", run_name="__main__")
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
