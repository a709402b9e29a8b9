"""BERT's masking recipe for masked-language-model training.

Devlin et al. (2019, section 3.1 and appendix A.1): choose 15 % of the tokens to predict; of
those, replace 80 % by [MASK], 10 % by a random token, and leave 10 % unchanged. The model must
predict the original token at every chosen position, whatever it now shows.

Why not always [MASK]? [MASK] never appears when the model is fine-tuned or used, so a model
that only ever predicts at [MASK] positions learns nothing useful about real tokens. Random and
unchanged tokens force it to keep a good representation of *every* input token, since it cannot
tell which ones it will be asked about.

The draws are the same, in the same order, as ``transformers.DataCollatorForLanguageModeling``
(``torch_mask_tokens``), so with the same ``torch.Generator`` seed both produce identical
results; the tests check this.
"""

from __future__ import annotations

import torch

from .._checks import check_integer, check_probability, check_tensor
from ..losses.pretraining import IGNORE_INDEX

__all__ = ["mask_tokens", "special_tokens_mask", "masking_shares", "whole_word_mask"]


def special_tokens_mask(input_ids: torch.Tensor, tokenizer) -> torch.Tensor:
    """True where the token is special ([CLS], [SEP], [PAD], [MASK], [UNK]): never selected.

    Padding is covered because [PAD] is a special token. [UNK] is special for BERT's tokenizer
    too, so an unknown word is never asked for (the collator behaves the same).
    """
    special_ids = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=input_ids.dtype, device=input_ids.device)
    return torch.isin(input_ids, special_ids)


def _check_masking(input_ids, tokenizer, mlm_probability, mask_replace_prob,
                   random_replace_prob) -> tuple[float, float, float]:
    """The checks both masking functions make: a tokenizer with a mask token, three probabilities, 80/10/10
    shares that do not add up to more than 1, a tensor of token ids."""
    if getattr(tokenizer, "mask_token", None) is None or getattr(tokenizer, "mask_token_id", None) is None:
        raise ValueError(
            "this tokenizer has no mask token, which masked-language-model training needs "
            "(use a BERT-style tokenizer, or a causal LM objective instead)"
        )
    mlm_probability = check_probability("mlm_probability", mlm_probability)
    mask_replace_prob = check_probability("mask_replace_prob", mask_replace_prob)
    random_replace_prob = check_probability("random_replace_prob", random_replace_prob)
    if mask_replace_prob + random_replace_prob > 1.0:
        raise ValueError(
            f"mask_replace_prob + random_replace_prob must not exceed 1, got "
            f"{mask_replace_prob} + {random_replace_prob} = {mask_replace_prob + random_replace_prob}"
        )
    check_tensor("input_ids", input_ids, "ids", required=True)
    return mlm_probability, mask_replace_prob, random_replace_prob


def mask_tokens(
    input_ids: torch.Tensor,
    tokenizer,
    mlm_probability: float = 0.15,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(inputs, labels)`` for MLM: a masked copy of ``input_ids`` and the labels.

    - each non-special token is selected with probability ``mlm_probability``;
    - a selected token becomes [MASK] with probability ``mask_replace_prob``, a random vocabulary
      id with probability ``random_replace_prob``, and stays unchanged otherwise;
    - ``labels`` holds the original id at selected positions and -100 everywhere else, so the
      loss scores only the selected tokens.

    ``input_ids`` is not modified. Pass a seeded ``torch.Generator`` for reproducible masks.
    """
    mlm_probability, mask_replace_prob, random_replace_prob = _check_masking(
        input_ids, tokenizer, mlm_probability, mask_replace_prob, random_replace_prob)

    # 1. Select: a Bernoulli(p) draw per token, with probability 0 at special tokens.
    probability = torch.full(input_ids.shape, mlm_probability)
    probability.masked_fill_(special_tokens_mask(input_ids, tokenizer).cpu(), 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool().to(input_ids.device)
    # 2-4. Replace the selected tokens 80/10/10 and label them.
    return _replace_selected(input_ids, selected, tokenizer, mask_replace_prob, random_replace_prob, generator)


def _replace_selected(input_ids, selected, tokenizer, mask_replace_prob, random_replace_prob, generator):
    """The second half of both masking functions, with its random draws in the order the transformers collators
    make them: labels keep the original id where ``selected`` and -100 elsewhere; of the selected tokens,
    ``mask_replace_prob`` become [MASK], ``random_replace_prob`` a random id, the rest stay (still scored)."""
    inputs = input_ids.clone()
    labels = input_ids.clone()
    labels[~selected] = IGNORE_INDEX  # only selected tokens are scored

    # Of the selected, mask_replace_prob become [MASK].
    to_mask = torch.bernoulli(torch.full(labels.shape, mask_replace_prob), generator=generator).bool()
    to_mask = to_mask.to(input_ids.device) & selected
    inputs[to_mask] = tokenizer.mask_token_id
    if mask_replace_prob == 1.0 or random_replace_prob == 0.0:
        return inputs, labels

    # Of the selected and not masked, a share becomes a random token. The probability is
    # rescaled to what is left: 0.1 / (1 - 0.8) = 0.5 of the remaining 20 % is 10 % overall.
    scaled = random_replace_prob / (1.0 - mask_replace_prob)
    to_random = torch.bernoulli(torch.full(labels.shape, scaled), generator=generator).bool()
    to_random = to_random.to(input_ids.device) & selected & ~to_mask
    random_ids = torch.randint(len(tokenizer), labels.shape, dtype=torch.long, generator=generator)
    inputs[to_random] = random_ids.to(input_ids.device, input_ids.dtype)[to_random]
    # The rest of the selected tokens (10 % by default) stay as they were, but are still scored.
    return inputs, labels


def masking_shares(original: torch.Tensor, inputs: torch.Tensor, labels: torch.Tensor, tokenizer) -> dict[str, float]:
    """Measured shares: selected / candidate tokens, and of the selected: [MASK], random, kept.

    "random" counts selected positions whose id changed to something other than [MASK]; a random
    draw that happens to pick the original token (or [MASK]) is counted as kept (or masked), so
    the random share reads slightly under its nominal value on a tiny vocabulary.
    """
    candidates = ~special_tokens_mask(original, tokenizer)
    selected = labels != IGNORE_INDEX
    n_selected = int(selected.sum())
    masked = selected & (inputs == tokenizer.mask_token_id)
    kept = selected & (inputs == original)
    random = selected & ~masked & ~kept
    denom = max(n_selected, 1)
    return {
        "selected": n_selected / max(int(candidates.sum()), 1),
        "mask": int(masked.sum()) / denom,
        "random": int(random.sum()) / denom,
        "kept": int(kept.sum()) / denom,
        "n_selected": n_selected,
        "n_candidates": int(candidates.sum()),
    }


def _word_candidates(tokens: list[str], continues: list[bool], skip: set[str]) -> list[list[int]]:
    """Group token positions into words, as ``DataCollatorForWholeWordMask._whole_word_mask`` does.

    [CLS] and [SEP] are skipped; a token joins the word before it when it starts with ``##`` (an
    English WordPiece continuation) or when ``continues`` says so (word boundaries given by the caller).
    """
    words: list[list[int]] = []
    for i, token in enumerate(tokens):
        if token in skip:
            continue
        if words and (token.startswith("##") or continues[i]):
            words[-1].append(i)
        else:
            words.append([i])
    return words


def whole_word_mask(
    input_ids: torch.Tensor,
    tokenizer,
    word_ids=None,
    mlm_probability: float = 0.15,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
    max_predictions: int = 512,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Whole-word masking (全词掩码): choose *words* to predict, and mask all of a word's tokens together.

    With token-level masking (``mask_tokens``) the model often sees ``[MASK] ##ization`` and only has to
    finish a word it can already read. Whole-word masking takes that shortcut away: Google's BERT
    release added it in May 2019 (the "Whole Word Masking" models of github.com/google-research/bert),
    and Cui et al. (2019, "Pre-Training with Whole Word Masking for Chinese BERT", arXiv:1906.08101)
    used it for Chinese.

    Where do words come from?

    - English WordPiece marks them: a ``##`` token continues the word before it. Nothing else is needed.
    - Chinese text does not: BERT's tokenizer makes every character a token, and nothing in the tokens
      says which characters form a word. A word segmenter decides (the Chinese BERT-wwm / RoBERTa-wwm
      models used LTP) and the caller passes its result as ``word_ids``: per row, one entry per token,
      the index of the word the token belongs to, ``None`` for special tokens and padding. This is the
      form ``BatchEncoding.word_ids(i)`` returns, so the segmenter's words can be passed to a fast
      tokenizer with ``is_split_into_words=True``. A token continues the previous word when its word
      index equals that of the token before it (``[CLS]`` and ``[SEP]`` not counted).

    Per row (as transformers 4.x's ``DataCollatorForWholeWordMask``): the words are shuffled, and
    whole words are taken in that order until ``round(length * mlm_probability)`` tokens are chosen
    (``length`` counts [CLS] and [SEP], not padding; at least 1, at most ``max_predictions``); a word
    that would overshoot that budget is skipped. Chosen special tokens (an [UNK], say) are then dropped.
    The chosen tokens get the 80/10/10 treatment of ``mask_tokens``, token by token.

    Randomness, draw for draw the same as the collator: with a ``generator`` the words are shuffled
    with ``torch.randperm(..., generator=generator)`` (the collator built with ``seed=...``); without
    one, with Python's global ``random.shuffle`` and torch's global generator (the collator without a
    seed). Every row is shuffled first, then the 80/10/10 draws are made for the whole ``[B, T]`` batch,
    so parity needs ``T`` = the longest row (the collator pads to that). tests/test_whole_word_mask.py
    checks this against transformers 4.57; transformers 5 removed ``DataCollatorForWholeWordMask`` (its
    ``DataCollatorForLanguageModeling(whole_word_mask=True)`` draws differently), so there the test skips.

    ``input_ids``: ``[B, T]`` token ids, padded on the right. Returns ``(inputs, labels)`` as
    ``mask_tokens`` does: labels hold the original id at chosen positions and -100 elsewhere.
    """
    import random

    mlm_probability, mask_replace_prob, random_replace_prob = _check_masking(
        input_ids, tokenizer, mlm_probability, mask_replace_prob, random_replace_prob)
    check_integer("max_predictions", max_predictions, 1)
    if input_ids.dim() != 2:
        raise ValueError(
            f"input_ids must have shape [batch, tokens], got {tuple(input_ids.shape)}; for one sequence use input_ids[None]"
        )
    n_rows, width = input_ids.shape
    if word_ids is not None:
        if isinstance(word_ids, torch.Tensor) or len(word_ids) != n_rows:
            raise ValueError(
                f"word_ids must be a list with one list per row of input_ids ({n_rows} rows), "
                f"got {type(word_ids).__name__} of length {len(word_ids)}"
            )
        for r, row in enumerate(word_ids):
            if len(row) != width:
                raise ValueError(
                    f"word_ids[{r}] has {len(row)} entries but input_ids has {width} tokens per row: "
                    "give one word index (or None) per token, padding included, as BatchEncoding.word_ids(i) does"
                )

    pad_id = tokenizer.pad_token_id
    skip = {tokenizer.cls_token, tokenizer.sep_token}
    chosen = torch.zeros(n_rows, width, dtype=torch.bool)
    for r in range(n_rows):
        ids = input_ids[r].tolist()
        length = width
        while pad_id is not None and length > 0 and ids[length - 1] == pad_id:
            length -= 1  # right padding is not part of the sequence
        tokens = tokenizer.convert_ids_to_tokens(ids[:length])
        continues = [False] * length
        if word_ids is not None:
            row = word_ids[r]
            previous = None  # word index of the last token that is not [CLS]/[SEP]
            for i in range(length):
                if tokens[i] in skip:
                    continue
                continues[i] = row[i] is not None and row[i] == previous
                previous = row[i]
        words = _word_candidates(tokens, continues, skip)
        if generator is not None:
            words = [words[i] for i in torch.randperm(len(words), generator=generator).tolist()]
        else:
            random.shuffle(words)
        budget = min(max_predictions, max(1, int(round(length * mlm_probability))))
        n_chosen = 0
        for word in words:
            if n_chosen >= budget:
                break
            if n_chosen + len(word) > budget:
                continue  # this word would overshoot the budget: try a shorter one
            chosen[r, word] = True
            n_chosen += len(word)

    chosen &= ~special_tokens_mask(input_ids, tokenizer).cpu()
    selected = chosen.to(input_ids.device)
    # The 80/10/10 draws, in the same order as mask_tokens and the collator.
    return _replace_selected(input_ids, selected, tokenizer, mask_replace_prob, random_replace_prob, generator)
