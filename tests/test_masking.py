"""mask_tokens: the 15 % / 80-10-10 recipe, statistically and against DataCollatorForLanguageModeling."""

import pytest
import torch
from transformers import DataCollatorForLanguageModeling

from course_lib.models.pretrained import load_tokenizer
from course_lib.training.masking import mask_tokens, masking_shares, special_tokens_mask


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


@pytest.fixture(scope="module")
def big_batch(tokenizer):
    """Many real sentences of different lengths, padded: enough tokens for tight statistics."""
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly brew strong coffee".split()
    g = torch.Generator().manual_seed(0)
    texts = [" ".join(words[i] for i in torch.randint(0, len(words), (int(n),), generator=g).tolist())
             for n in torch.randint(5, 40, (400,), generator=g)]
    return tokenizer(texts, padding=True, return_tensors="pt")["input_ids"]


def test_shares_are_15_80_10_10(tokenizer, big_batch):
    inputs, labels = mask_tokens(big_batch, tokenizer, generator=torch.Generator().manual_seed(1))
    shares = masking_shares(big_batch, inputs, labels, tokenizer)
    assert shares["n_candidates"] > 8000
    # binomial standard errors: ~0.4 % for the 15 %, ~1.2 % for 80 %, ~0.9 % for 10 %: allow 4 of them
    assert shares["selected"] == pytest.approx(0.15, abs=0.015)
    assert shares["mask"] == pytest.approx(0.80, abs=0.04)
    assert shares["random"] == pytest.approx(0.10, abs=0.035)
    assert shares["kept"] == pytest.approx(0.10, abs=0.035)


def test_labels_are_original_ids_exactly_at_selected_positions(tokenizer, big_batch):
    inputs, labels = mask_tokens(big_batch, tokenizer, generator=torch.Generator().manual_seed(2))
    selected = labels != -100
    assert torch.equal(labels[selected], big_batch[selected])
    assert torch.equal(inputs[~selected], big_batch[~selected])  # nothing else changes


def test_special_and_padding_tokens_never_touched(tokenizer, big_batch):
    special = special_tokens_mask(big_batch, tokenizer)
    assert special[big_batch == tokenizer.pad_token_id].all() and special[:, 0].all()  # [PAD], [CLS]
    for seed in range(5):
        inputs, labels = mask_tokens(big_batch, tokenizer, mlm_probability=0.9, generator=torch.Generator().manual_seed(seed))
        assert (labels[special] == -100).all()
        assert torch.equal(inputs[special], big_batch[special])


def test_input_is_not_modified_in_place(tokenizer, big_batch):
    before = big_batch.clone()
    mask_tokens(big_batch, tokenizer, mlm_probability=0.5)
    assert torch.equal(big_batch, before)


def test_reproducible_from_generator(tokenizer, big_batch):
    a = mask_tokens(big_batch, tokenizer, generator=torch.Generator().manual_seed(7))
    b = mask_tokens(big_batch, tokenizer, generator=torch.Generator().manual_seed(7))
    c = mask_tokens(big_batch, tokenizer, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


@pytest.mark.parametrize("probs", [(0.15, 0.8, 0.1), (0.3, 0.5, 0.3), (0.15, 1.0, 0.0), (0.2, 0.6, 0.0)])
def test_identical_to_data_collator_with_same_seed(tokenizer, big_batch, probs):
    mlm, mask_p, random_p = probs
    collator = DataCollatorForLanguageModeling(
        tokenizer, mlm_probability=mlm, mask_replace_prob=mask_p, random_replace_prob=random_p
    )
    collator.generator = torch.Generator().manual_seed(3)
    theirs_inputs, theirs_labels = collator.torch_mask_tokens(big_batch.clone())
    ours_inputs, ours_labels = mask_tokens(
        big_batch, tokenizer, mlm, mask_p, random_p, generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(ours_inputs, theirs_inputs)
    assert torch.equal(ours_labels, theirs_labels)


def test_no_mask_token_is_rejected(tokenizer, big_batch):
    class NoMask:
        mask_token = None
        mask_token_id = None
        all_special_ids = [0]

    with pytest.raises(ValueError, match="tokenizer has no mask token"):
        mask_tokens(big_batch, NoMask())


@pytest.mark.parametrize("kwarg", ["mlm_probability", "mask_replace_prob", "random_replace_prob"])
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_probability_outside_0_1_is_rejected(tokenizer, big_batch, kwarg, value):
    with pytest.raises(ValueError, match=rf"{kwarg} must be a probability in \[0, 1\], got {value}"):
        mask_tokens(big_batch, tokenizer, **{kwarg: value})


def test_replace_probabilities_summing_over_one_are_rejected(tokenizer, big_batch):
    with pytest.raises(ValueError, match=r"mask_replace_prob \+ random_replace_prob must not exceed 1.*0.7 \+ 0.4"):
        mask_tokens(big_batch, tokenizer, mask_replace_prob=0.7, random_replace_prob=0.4)


def test_float_input_ids_are_rejected(tokenizer, big_batch):
    with pytest.raises(ValueError, match="input_ids must hold integer token ids"):
        mask_tokens(big_batch.float(), tokenizer)
