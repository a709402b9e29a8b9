"""The course diagrams, in both languages: the committed PNGs are what pictures/draw_*.py draw, the Chinese
ones take every text from translations/zh-CN/pictures.json (a text it lacks is refused, an entry no picture
uses is reported), and each edition's notebooks carry the pictures of their own language."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the pictures are drawn in the course environment (.venv)")
nbformat = pytest.importorskip("nbformat")

from pictures import diagram, make_pictures  # noqa: E402  (after the skips: they draw with matplotlib)

ROOT = Path(__file__).resolve().parent.parent
PICTURES = ROOT / "pictures"

NAMES = sorted(p.name for p in PICTURES.glob("*.png"))


def test_every_picture_has_a_chinese_edition():
    assert NAMES, "no pictures found"
    assert sorted(p.name for p in (PICTURES / "zh-CN").glob("*.png")) == NAMES


def test_the_committed_pictures_are_what_the_scripts_draw(tmp_path):
    """Redrawn in both languages, byte for byte: a label changed in a script (or in the Chinese table) without
    `make pictures` fails here. The Chinese pass needs the Noto CJK font (`make chromium` installs it)."""
    assert make_pictures.draw_all(tmp_path) == len(list(PICTURES.glob("draw_*.py")))
    for folder in ("", "zh-CN"):
        for name in NAMES:
            drawn, committed = tmp_path / folder / name, PICTURES / folder / name
            assert drawn.read_bytes() == committed.read_bytes(), f"{committed} is stale: run `make pictures`"


def test_a_text_missing_from_the_table_is_refused():
    diagram.use_language("zh-CN")
    try:
        with pytest.raises(KeyError, match="pictures.json has no entry for the picture text 'a label nobody"):
            diagram.tr("a label nobody translated")
        assert diagram.tr("every token") == "每个词元"
    finally:
        diagram.use_language("en")
    assert diagram.tr("every token") == "every token"


def test_an_entry_that_no_picture_draws_is_reported(tmp_path, monkeypatch):
    table = json.loads(diagram.table_path("zh-CN").read_text(encoding="utf-8"))
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "pictures.json").write_text(
        json.dumps({**table, "a box that was removed": "一个被删掉的框"}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(diagram, "TRANSLATIONS", tmp_path)
    with pytest.raises(ValueError, match="entries that no picture draws: \\['a box that was removed'\\]"):
        make_pictures.draw_all(tmp_path / "out")


def _attachments(folder: Path) -> list[tuple[str, str, bytes]]:
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for name, data in cell.get("attachments", {}).items():
                found.append((path.name, name, base64.b64decode(data["image/png"])))
    return found


@pytest.mark.parametrize("folder, pictures", [("notebooks", PICTURES), ("zh-CN/notebooks", PICTURES / "zh-CN")])
def test_each_edition_carries_the_pictures_of_its_language(folder, pictures):
    found = _attachments(ROOT / folder)
    assert len(found) >= 4, f"{folder}: expected the course diagrams as attachments, found {len(found)}"
    for notebook, name, data in found:
        assert data == (pictures / name).read_bytes(), f"{folder}/{notebook}: {name} is not {pictures / name}"
