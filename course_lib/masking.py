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

from .losses.pretraining import IGNORE_INDEX

__all__ = ["mask_tokens", "special_tokens_mask", "masking_shares"]


def special_tokens_mask(input_ids: torch.Tensor, tokenizer) -> torch.Tensor:
    """True where the token is special ([CLS], [SEP], [PAD], [MASK], [UNK]): never selected.

    Padding is covered because [PAD] is a special token. [UNK] is special for BERT's tokenizer
    too, so an unknown word is never asked for (the collator behaves the same).
    """
    special_ids = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=input_ids.dtype, device=input_ids.device)
    return torch.isin(input_ids, special_ids)


def _check_probability(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    return float(value)


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
    if getattr(tokenizer, "mask_token", None) is None or getattr(tokenizer, "mask_token_id", None) is None:
        raise ValueError(
            "this tokenizer has no mask token, which masked-language-model training needs "
            "(use a BERT-style tokenizer, or a causal LM objective instead)"
        )
    mlm_probability = _check_probability("mlm_probability", mlm_probability)
    mask_replace_prob = _check_probability("mask_replace_prob", mask_replace_prob)
    random_replace_prob = _check_probability("random_replace_prob", random_replace_prob)
    if mask_replace_prob + random_replace_prob > 1.0:
        raise ValueError(
            f"mask_replace_prob + random_replace_prob must not exceed 1, got "
            f"{mask_replace_prob} + {random_replace_prob} = {mask_replace_prob + random_replace_prob}"
        )
    if not isinstance(input_ids, torch.Tensor):
        raise TypeError(
            f"input_ids must be a torch.Tensor of token ids, got {type(input_ids).__name__}; convert with torch.tensor(...)"
        )
    if input_ids.dtype not in (torch.long, torch.int):
        raise ValueError(f"input_ids must hold integer token ids (torch.long), got dtype {input_ids.dtype}; use .long()")

    inputs = input_ids.clone()
    labels = input_ids.clone()

    # 1. Select: a Bernoulli(p) draw per token, with probability 0 at special tokens.
    probability = torch.full(labels.shape, mlm_probability)
    probability.masked_fill_(special_tokens_mask(input_ids, tokenizer).cpu(), 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool().to(input_ids.device)
    labels[~selected] = IGNORE_INDEX  # only selected tokens are scored

    # 2. Of the selected, mask_replace_prob become [MASK].
    to_mask = torch.bernoulli(torch.full(labels.shape, mask_replace_prob), generator=generator).bool()
    to_mask = to_mask.to(input_ids.device) & selected
    inputs[to_mask] = tokenizer.mask_token_id
    if mask_replace_prob == 1.0 or random_replace_prob == 0.0:
        return inputs, labels

    # 3. Of the selected and not masked, a share becomes a random token. The probability is
    # rescaled to what is left: 0.1 / (1 - 0.8) = 0.5 of the remaining 20 % is 10 % overall.
    scaled = random_replace_prob / (1.0 - mask_replace_prob)
    to_random = torch.bernoulli(torch.full(labels.shape, scaled), generator=generator).bool()
    to_random = to_random.to(input_ids.device) & selected & ~to_mask
    random_ids = torch.randint(len(tokenizer), labels.shape, dtype=torch.long, generator=generator)
    inputs[to_random] = random_ids.to(input_ids.device, input_ids.dtype)[to_random]
    # 4. The rest of the selected tokens (10 % by default) stay as they were, but are still scored.
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
