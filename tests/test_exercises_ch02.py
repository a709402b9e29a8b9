"""Exercises of notebook 02: the checkers pass the worked solutions, stay "not yet" on the templates, and
name the mistake for each known wrong answer (written here the way a learner would write it)."""

import json
from pathlib import Path

import pytest
import torch.nn.functional as F

from course_lib.exercises.ch02 import (
    _mlm_cases,
    _pretraining_cases,
    check_mlm_loss,
    check_nsp_loss,
    check_pretraining_loss,
)
from course_lib.losses import masked_lm_loss, next_sentence_loss, pretraining_loss

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "02_pretraining_heads_and_loss.ipynb"
EXERCISES = ("2.1", "2.2", "2.3")


def exercise_cells(path):
    """{exercise: (template source, solution source)} from the chapter's tagged code cells."""
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("course", {})
        if cell["cell_type"] == "code" and "exercise" in meta:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            found[meta["exercise"]] = (source, meta["solution"])
    return found


def run_cell(source, capsys):
    exec(compile(source, "<exercise cell>", "exec"), {"__name__": "__exercise__"})
    return capsys.readouterr().out


def try_again(check, wrong, hint):
    verdict = check(wrong)
    assert verdict.status == "try again", verdict
    assert hint in verdict.message, verdict


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_passes_and_template_is_not_yet(exercise, capsys):
    template, solution = exercise_cells(CHAPTER)[exercise]
    assert run_cell(solution, capsys).startswith(f"[PASS] Exercise {exercise}:")
    assert run_cell(template, capsys).startswith(f"[NOT YET] Exercise {exercise}:")


def test_the_chapter_has_exactly_these_exercises():
    assert tuple(exercise_cells(CHAPTER)) == EXERCISES


def test_solutions_notebook_in_sync_with_the_chapter():
    nbformat = pytest.importorskip("nbformat")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_solutions", ROOT / "tools" / "make_solutions.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    committed = nbformat.read(tool.target(CHAPTER), as_version=4)
    assert tool.sources(committed) == tool.sources(tool.solutions_for(CHAPTER)), "run tools/make_solutions.py"
    outputs = [o for c in committed.cells if c.cell_type == "code" for o in c.outputs]
    assert sum("[PASS]" in o.get("text", "") for o in outputs) == len(EXERCISES), "execute the solutions notebook"


def test_the_course_losses_pass_their_own_exercises():
    assert check_mlm_loss(masked_lm_loss)
    assert check_nsp_loss(next_sentence_loss)
    assert check_pretraining_loss(pretraining_loss)


def test_every_case_scores_some_but_not_all_positions():
    for case in _mlm_cases():
        scored = case.args[1] != -100
        assert scored.any(dim=1).all() and not scored.all()
        assert len(set(scored.sum(dim=1).tolist())) > 1, "rows with different counts expose a per-sequence mean"
    assert len(_pretraining_cases()) == 3


# --- 2.1 the MLM loss -------------------------------------------------------------------------


def _ce_per_token(logits, labels):
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # 0 at -100


def _scored_as_token_0(logits, labels):
    labels[labels == -100] = 0  # in place: the checker must hand over a copy
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def _per_sequence(logits, labels):
    keep = (labels != -100).float()
    return ((_ce_per_token(logits, labels) * keep).sum(1) / keep.sum(1)).mean()


@pytest.mark.parametrize("wrong, hint", [
    (lambda logits, labels: (_ce_per_token(logits, labels) * (labels != -100)).mean(), "counts the -100 positions"),
    (_scored_as_token_0, "as if their label were token 0"),
    (_per_sequence, "averaged each sequence first"),
    (lambda logits, labels: F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum"), "*sum*"),
    (lambda logits, labels: F.cross_entropy(logits.softmax(-1).flatten(0, 1), labels.flatten()), "ran twice"),
    (lambda logits, labels: F.nll_loss(logits.flatten(0, 1), labels.flatten()), "log-probabilities"),
])
def test_mlm_loss_names_the_mistake(wrong, hint):
    try_again(check_mlm_loss, wrong, hint)


def test_mlm_loss_with_ignore_index_100_is_reported_not_raised():
    verdict = check_mlm_loss(lambda logits, labels: F.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                                                                    ignore_index=100))
    assert verdict.status == "try again" and "raised" in verdict.message


def test_mlm_loss_must_be_a_tensor():
    verdict = check_mlm_loss(lambda logits, labels: masked_lm_loss(logits, labels).item())
    assert verdict.status == "try again" and "tensor" in verdict.message


# --- 2.2 the NSP loss -------------------------------------------------------------------------


@pytest.mark.parametrize("wrong, hint", [
    (lambda logits, labels: F.cross_entropy(logits, 1 - labels), "swapped"),
    (lambda logits, labels: F.binary_cross_entropy(logits[:, 1].sigmoid(), labels.float()), "*both* logits"),
    (lambda logits, labels: F.cross_entropy(logits, labels, reduction="sum"), "*sum*"),
    (lambda logits, labels: F.cross_entropy(logits.softmax(-1), labels), "log-softmax itself"),
])
def test_nsp_loss_names_the_mistake(wrong, hint):
    try_again(check_nsp_loss, wrong, hint)


# --- 2.3 the pre-training loss ----------------------------------------------------------------


def _mlm(p, lab):
    return F.cross_entropy(p.flatten(0, 1), lab.flatten())


@pytest.mark.parametrize("wrong, hint", [
    (lambda p, s, lab, nsl: (_mlm(p, lab) + F.cross_entropy(s, nsl)) / 2, "no division by 2"),
    (lambda p, s, lab, nsl: 0.5 * _mlm(p, lab) + 0.5 * F.cross_entropy(s, nsl), "no division by 2"),
    (lambda p, s, lab, nsl: _mlm(p, lab), "MLM loss alone"),
    (lambda p, s, lab, nsl: F.cross_entropy(s, nsl), "NSP loss alone"),
    (lambda p, s, lab, nsl: (_ce_per_token(p, lab) * (lab != -100)).mean() + F.cross_entropy(s, nsl),
     "in the MLM part: your loss counts the -100 positions"),
    (lambda p, s, lab, nsl: _mlm(p, lab) + F.cross_entropy(s, 1 - nsl), "in the NSP part: your labels are swapped"),
])
def test_pretraining_loss_names_the_mistake(wrong, hint):
    try_again(check_pretraining_loss, wrong, hint)
