"""whole_word_mask: words masked together (English ## pieces, Chinese words from given boundaries), and
draw for draw the same as transformers 4.x's DataCollatorForWholeWordMask.

The parity tests need transformers 4.x (run them with .venv-hf4/bin/python -m pytest, as make test-hf4
does): transformers 5 removed DataCollatorForWholeWordMask, so under 5.x they skip and only the
property tests run.
"""

import random
from pathlib import Path

import pytest
import torch
import transformers
from transformers import BertTokenizerFast

from course_lib.models.pretrained import load_tokenizer
from course_lib.training.masking import whole_word_mask

Collator = getattr(transformers, "DataCollatorForWholeWordMask", None)
# 4.57 warns that the collator is deprecated (it was removed in 5.x): expected here, not a problem of ours.
pytestmark = pytest.mark.filterwarnings("ignore:DataCollatorForWholeWordMask is deprecated:FutureWarning")
needs_collator = pytest.mark.skipif(
    Collator is None,
    reason=f"transformers {transformers.__version__} has no DataCollatorForWholeWordMask (removed in 5.x); "
    "run with .venv-hf4/bin/python (transformers 4.57)",
)

ENGLISH = [
    "The encoder reads tokenization carefully.",
    "Unaffable hippopotamuses photosynthesize surreptitiously in Reykjavik.",
    "A short one.",
    "Whole word masking hides every piece of a word, never just its ending.",
]
# Word boundaries given by hand (a segmenter such as LTP or jieba would produce them): no download.
CHINESE = [
    "这部 电影 的 剧情 非常 精彩 ， 演员 的 表演 也 很 自然 。",
    "今天 的 天气 很 冷 ， 我们 决定 在 家里 看书 。",
    "这家 餐厅 的 菜 太 咸 了 ， 服务 也 很 慢 。",
    "全词 掩码 让 模型 预测 整个 词语 。",
]


@pytest.fixture(scope="module")
def english():
    tokenizer = load_tokenizer()
    enc = tokenizer(ENGLISH, padding=True, return_tensors="pt")
    return tokenizer, enc


@pytest.fixture(scope="module")
def chinese(tmp_path_factory):
    """A character vocabulary (as bert-base-chinese has), built from the sentences: every character is a token."""
    folder = tmp_path_factory.mktemp("zh_vocab")
    chars = sorted({c for s in CHINESE for c in s if c != " "})
    Path(folder, "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n",
                                         encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(str(folder))
    enc = tokenizer([s.split() for s in CHINESE], is_split_into_words=True, padding=True, return_tensors="pt")
    assert tokenizer.unk_token_id not in enc["input_ids"]
    word_ids = [enc.word_ids(i) for i in range(len(CHINESE))]
    return tokenizer, enc, word_ids


def continuation_positions(word_ids):
    """transformers' ``chinese_ref``: positions of tokens that continue the word before them."""
    return [i for i in range(1, len(word_ids)) if word_ids[i] is not None and word_ids[i] == word_ids[i - 1]]


def theirs(tokenizer, enc, mlm_probability, seed, word_ids=None):
    """DataCollatorForWholeWordMask on the unpadded rows (the collator pads them itself)."""
    collator = Collator(tokenizer=tokenizer, mlm_probability=mlm_probability, seed=seed, return_tensors="pt")
    examples = []
    for i, row in enumerate(enc["input_ids"]):
        n = int(enc["attention_mask"][i].sum())
        example = {"input_ids": row[:n].tolist()}
        if word_ids is not None:
            example["chinese_ref"] = continuation_positions(word_ids[i][:n])
        examples.append(example)
    out = collator(examples)
    return out["input_ids"], out["labels"]


def draws(tokenizer, enc, word_ids, mlm_probability, seed, seeded):
    """(ours, theirs) for one seed, with the collator seeded (one torch generator) or not (global RNGs).

    Seeds start at 1: the collator tests ``if self.seed``, so ``seed=0`` means no seed there.
    """
    if seeded:
        assert seed > 0
        ours = whole_word_mask(enc["input_ids"], tokenizer, word_ids=word_ids, mlm_probability=mlm_probability,
                               generator=torch.Generator().manual_seed(seed))
        return ours, theirs(tokenizer, enc, mlm_probability, seed, word_ids)
    random.seed(seed)
    torch.manual_seed(seed)
    ours = whole_word_mask(enc["input_ids"], tokenizer, word_ids=word_ids, mlm_probability=mlm_probability)
    random.seed(seed)
    torch.manual_seed(seed)
    return ours, theirs(tokenizer, enc, mlm_probability, None, word_ids)


def assert_whole_words(labels, word_ids):
    """Every word is either wholly selected or not at all."""
    multi_piece_chosen = 0
    for r, row in enumerate(word_ids):
        words = {}
        for i, w in enumerate(row):
            if w is not None:
                words.setdefault(w, []).append(i)
        for positions in words.values():
            chosen = (labels[r, positions] != -100).tolist()
            assert all(chosen) or not any(chosen), f"row {r}: word at {positions} only partly chosen: {chosen}"
            multi_piece_chosen += len(positions) > 1 and all(chosen)
    return multi_piece_chosen


# ---------------------------------------------------------------- parity with transformers 4.x


@needs_collator
@pytest.mark.parametrize("seeded", [True, False], ids=["seeded", "global-rng"])
@pytest.mark.parametrize("mlm_probability", [0.15, 0.4])
def test_english_parity_draw_for_draw(english, seeded, mlm_probability):
    tokenizer, enc = english
    masked_somewhere = 0
    for seed in range(1, 51):
        (ours_inputs, ours_labels), (theirs_inputs, theirs_labels) = draws(
            tokenizer, enc, None, mlm_probability, seed, seeded)
        assert torch.equal(ours_labels, theirs_labels), f"seed {seed}: labels differ"
        assert torch.equal(ours_inputs, theirs_inputs), f"seed {seed}: inputs differ"
        masked_somewhere += int((theirs_labels != -100).sum())
    assert masked_somewhere > 50 * 4  # the comparison is not vacuous


@needs_collator
@pytest.mark.parametrize("seeded", [True, False], ids=["seeded", "global-rng"])
@pytest.mark.parametrize("mlm_probability", [0.15, 0.4])
def test_chinese_parity_with_word_boundaries(chinese, seeded, mlm_probability):
    tokenizer, enc, word_ids = chinese
    for seed in range(1, 51):
        (ours_inputs, ours_labels), (theirs_inputs, theirs_labels) = draws(
            tokenizer, enc, word_ids, mlm_probability, seed, seeded)
        assert torch.equal(ours_labels, theirs_labels), f"seed {seed}: labels differ"
        assert torch.equal(ours_inputs, theirs_inputs), f"seed {seed}: inputs differ"


# ---------------------------------------------------------------- properties (any transformers)


def test_english_pieces_are_masked_with_their_word(english):
    tokenizer, enc = english
    word_ids = [enc.word_ids(i) for i in range(len(ENGLISH))]
    multi = 0
    for seed in range(40):
        _, labels = whole_word_mask(enc["input_ids"], tokenizer, mlm_probability=0.3,
                                    generator=torch.Generator().manual_seed(seed))
        multi += assert_whole_words(labels, word_ids)
    assert multi > 20, "multi-piece words should be chosen often enough for the check to mean something"


def test_chinese_words_are_masked_together_only_when_boundaries_are_given(chinese):
    tokenizer, enc, word_ids = chinese
    split_words = together = 0
    for seed in range(40):
        _, labels = whole_word_mask(enc["input_ids"], tokenizer, word_ids=word_ids, mlm_probability=0.3,
                                    generator=torch.Generator().manual_seed(seed))
        together += assert_whole_words(labels, word_ids)
        _, char_labels = whole_word_mask(enc["input_ids"], tokenizer, mlm_probability=0.3,
                                         generator=torch.Generator().manual_seed(seed))
        try:
            assert_whole_words(char_labels, word_ids)
        except AssertionError:
            split_words += 1
    assert together > 20
    assert split_words > 20, "without boundaries every character is a word of its own, so words get split"


def test_budget_is_round_length_times_probability(chinese):
    tokenizer, enc, _ = chinese
    lengths = enc["attention_mask"].sum(1)
    for p in (0.15, 0.3, 0.5):
        _, labels = whole_word_mask(enc["input_ids"], tokenizer, mlm_probability=p,
                                    generator=torch.Generator().manual_seed(0))
        # single characters as words (no boundaries given) always fill the budget exactly; [CLS]/[SEP] never chosen
        expected = [max(1, int(round(int(n) * p))) for n in lengths]
        assert (labels != -100).sum(1).tolist() == expected
        assert (labels[:, 0] == -100).all()


def test_padding_and_special_tokens_untouched(english):
    tokenizer, enc = english
    ids = enc["input_ids"]
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids))
    for seed in range(10):
        inputs, labels = whole_word_mask(ids, tokenizer, mlm_probability=0.9, generator=torch.Generator().manual_seed(seed))
        assert (labels[special] == -100).all() and torch.equal(inputs[special], ids[special])
        chosen = labels != -100
        assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])


def test_reproducible_from_generator_and_input_untouched(english):
    tokenizer, enc = english
    before = enc["input_ids"].clone()
    a = whole_word_mask(enc["input_ids"], tokenizer, generator=torch.Generator().manual_seed(3))
    b = whole_word_mask(enc["input_ids"], tokenizer, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert torch.equal(enc["input_ids"], before)


def test_bad_input_is_refused_with_a_message(english):
    tokenizer, enc = english
    ids = enc["input_ids"]
    with pytest.raises(ValueError, match="one list per row"):
        whole_word_mask(ids, tokenizer, word_ids=[enc.word_ids(0)])
    with pytest.raises(ValueError, match="one word index"):
        whole_word_mask(ids, tokenizer, word_ids=[row[:-1] for row in (enc.word_ids(i) for i in range(len(ENGLISH)))])
    with pytest.raises(ValueError, match=r"\[batch, tokens\]"):
        whole_word_mask(ids[0], tokenizer)
    with pytest.raises(TypeError, match="torch.Tensor"):
        whole_word_mask(ids.tolist(), tokenizer)
    with pytest.raises(ValueError, match="max_predictions"):
        whole_word_mask(ids, tokenizer, max_predictions=0)
    with pytest.raises(ValueError, match="mlm_probability"):
        whole_word_mask(ids, tokenizer, mlm_probability=1.5)
