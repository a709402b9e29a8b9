"""docs/run_times.json is the one source of the chapter times: every place that prints one agrees with it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("nbformat", reason="the notebook tools are not installed in this environment")

from tools import sync_run_times, translate  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent


def test_every_printed_time_agrees_with_run_times_json():
    found = sync_run_times.differences(ROOT)
    assert not found, "these disagree with docs/run_times.json (python -m tools.sync_run_times):\n" + "\n".join(found)


@pytest.fixture
def course_copy(tmp_path):
    """The files the tool reads and writes, copied: the test may change them."""
    for folder in ("notebooks", "translations", "docs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def edit_times(root: Path, chapter: str, **values) -> None:
    path = root / "docs" / "run_times.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["chapters"][chapter].update(values)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_a_changed_time_is_caught_then_copied_everywhere(course_copy):
    assert sync_run_times.main(["--root", str(course_copy)]) == 0  # in step before the change
    edit_times(course_copy, "04_weight_tying", reading_minutes=33, run_seconds=71.6)
    found = sync_run_times.differences(course_copy)
    assert sorted(line.split(":")[0] for line in found) == [
        "docs/TEACHING.md", "docs/TEACHING.zh-CN.md", "notebooks/00_welcome.ipynb",
        "notebooks/04_weight_tying.ipynb", "translations/zh-CN/00_welcome.md", "translations/zh-CN/04_weight_tying.md"]
    assert sync_run_times.main(["--check", "--root", str(course_copy)]) == 1

    assert sync_run_times.main(["--root", str(course_copy)]) == 0
    assert sync_run_times.differences(course_copy) == []
    header = "**Time:** about 33 minutes (about 70 s to run on a 2-core laptop CPU)"
    import nbformat
    first = nbformat.read(course_copy / "notebooks" / "04_weight_tying.ipynb", as_version=4).cells[0]
    assert header in first.source
    zh = (course_copy / "translations" / "zh-CN" / "04_weight_tying.md").read_text(encoding="utf-8")
    assert "**时间：** 约 33 分钟（在 2 核普通电脑 CPU 上运行约 70 秒）" in zh
    assert f"<!-- cell {first.id} en {translate.english_hash(first.source)} -->" in zh, "an entry in step moves along"
    teaching = (course_copy / "docs" / "TEACHING.md").read_text(encoding="utf-8")
    chapter_05 = json.loads((course_copy / "docs" / "run_times.json").read_text(encoding="utf-8"))["chapters"][
        "05_sequence_classification"]
    row = (f"| 04 weight_tying, 05 sequence_classification | 33 + {chapter_05['reading_minutes']} min | "
           f"70 s + {sync_run_times.shown_seconds(chapter_05)} s |")
    assert row in teaching, row


def test_a_stale_translation_stays_stale(course_copy):
    path = course_copy / "translations" / "zh-CN" / "04_weight_tying.md"
    first_id = translate.ENTRY_RE.search(path.read_text(encoding="utf-8")).group(1)
    text = path.read_text(encoding="utf-8").replace(f"<!-- cell {first_id} en ", f"<!-- cell {first_id} en 0", 1)
    path.write_text(text, encoding="utf-8")  # a hash that matches no English: the translation is out of date
    edit_times(course_copy, "04_weight_tying", reading_minutes=33)
    sync_run_times.main(["--root", str(course_copy)])
    entries = translate.read_translations(path)
    assert entries[first_id][0].startswith("0"), "only a translation that was up to date gets the new hash"
    assert "约 33 分钟" in entries[first_id][1]


def test_time_text_rounds_to_five_seconds_and_names_the_exercises():
    entry = {"reading_minutes": 40, "exercise_minutes": 20, "run_seconds": 12.4}
    assert sync_run_times.time_text(entry) == (
        "about 40 minutes, plus 20 for the exercises (about 10 s to run on a 2-core laptop CPU)")
    assert sync_run_times.time_text({**entry, "run_seconds": 1.0, "exercise_minutes": None}, "zh") == (
        "约 40 分钟（在 2 核普通电脑 CPU 上运行约 5 秒）")


@pytest.mark.parametrize("change, message", [
    ({"run_seconds": None}, "run_seconds must be a positive number"),
    ({"reading_minutes": "forty"}, "reading_minutes must be a positive number"),
    ({"exercise_minutes": 2.5}, "exercise_minutes must be a positive integer or null"),
])
def test_a_bad_entry_is_refused_by_name(course_copy, change, message):
    edit_times(course_copy, "01_bert_backbone", **change)
    with pytest.raises(ValueError, match=f"01_bert_backbone.{message}"):
        sync_run_times.load(course_copy)


def test_measurements_keep_the_minutes_set_by_hand(course_copy):
    before = sync_run_times.load(course_copy)["02_pretraining_heads_and_loss"]
    sync_run_times.save_measurements(
        {"02_pretraining_heads_and_loss": {"run_seconds": 17.3, "cpu_seconds": 15.0, "measured": "today"}}, course_copy)
    after = sync_run_times.load(course_copy)["02_pretraining_heads_and_loss"]
    assert after == {**before, "run_seconds": 17.3, "cpu_seconds": 15.0, "measured": "today"}


def test_site_index_reads_the_same_file():
    build_site = pytest.importorskip("build_site", reason="nbconvert is not installed in this environment")
    times = sync_run_times.load(ROOT)
    for name in ("01_bert_backbone", "04_weight_tying"):
        info = build_site.chapter_info(ROOT / "notebooks" / f"{name}.ipynb")
        assert info["time"] == sync_run_times.time_text(times[name])


def test_make_test_runs_every_notebook_longest_first():
    # the Makefile's nbval list is read from run_times.json: a notebook missing there would go unchecked
    chapters = json.loads((ROOT / "docs" / "run_times.json").read_text(encoding="utf-8"))["chapters"]
    assert sorted(chapters) == sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    dry_run = subprocess.run(["make", "-n", "--no-print-directory", "test-notebooks", "STAMP=Makefile"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    listed = [word[len("notebooks/"):-len(".ipynb")] for word in dry_run.split() if word.startswith("notebooks/")]
    assert sorted(listed) == sorted(chapters)
    assert [chapters[k]["run_seconds"] for k in listed] == sorted((c["run_seconds"] for c in chapters.values()),
                                                                  reverse=True)
