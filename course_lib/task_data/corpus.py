"""A small generated corpus for pre-training a tiny BERT from scratch, in seconds, offline.

Real pre-training reads billions of words (BooksCorpus + English Wikipedia for BERT). To *watch*
it work on a laptop we need a corpus with the same two kinds of signal, only much simpler:

- **for MLM**, words that can be predicted from the rest of the sentence and document: every
  document is about one animal, and each animal has fixed facts (the cow eats grass, lives on the
  farm, says moo). Mask "grass" in "the cow eats [MASK] ." and the context decides the answer.
- **for NSP**, sentence pairs where "B follows A" is visible: B taken from the same document talks
  about the same animal; a random B (from a document about another animal) does not.

Text is tokenized with the bert-base-uncased WordPiece vocabulary (``course_lib.models.pretrained
.load_tokenizer()``). The tiny model does not need 30,522 output rows for the 50 pieces this
corpus uses, and the output layer's cost grows with the vocabulary, so :func:`corpus_tokenizer`
builds a BERT tokenizer over *just those pieces*: same pieces, same splits ("moo" -> "mo ##o"),
ids renumbered densely. With a network, swap in real text (``datasets.load_dataset("wikitext",
"wikitext-2-raw-v1")``) and the full tokenizer; everything else stays the same.
"""

from __future__ import annotations

import functools
import hashlib
import random
import tempfile
from pathlib import Path

import torch

from .._checks import check_integer, is_integer

__all__ = [
    "ANIMALS",
    "generate_documents",
    "corpus_tokenizer",
    "make_nsp_pairs",
    "encode_pairs",
    "tiny_bert_config",
    "pretrain",
    "evaluate",
    "input_blind_baselines",
    "predict_masked",
    "PROBE_SENTENCES",
]

# animal -> (food, home, sound, colour)
ANIMALS = {
    "cat": ("mice", "house", "meow", "black"),
    "dog": ("bones", "yard", "woof", "brown"),
    "cow": ("grass", "farm", "moo", "white"),
    "frog": ("flies", "pond", "ribbit", "green"),
}

TEMPLATES = [
    "the {a} eats {food} .",
    "the {a} lives in the {home} .",
    "the {a} says {sound} .",
    "the {a} is {colour} .",
    "every morning the {a} looks for {food} .",
    "at night the {a} sleeps in the {home} .",
    "our {a} loves {food} .",
    "you can hear the {a} say {sound} near the {home} .",
]

# Sentences for "before and after" predictions: the masked word is decided by the animal.
PROBE_SENTENCES = [
    ("the cow eats [MASK] .", "grass"),
    ("the frog lives in the [MASK] .", "pond"),
    ("at night the cat sleeps in the [MASK] .", "house"),
    ("the [MASK] says woof .", "dog"),
    ("our frog loves [MASK] .", "flies"),
]


def generate_documents(n_docs: int = 400, sentences_per_doc: tuple[int, int] = (4, 7), seed: int = 0) -> list[list[str]]:
    """``n_docs`` documents, each a list of sentences about one animal, sentences in random order."""
    check_integer("n_docs", n_docs, 1)
    pair = tuple(sentences_per_doc) if isinstance(sentences_per_doc, (tuple, list)) else ()
    if len(pair) != 2 or not all(is_integer(x) for x in pair) or not 1 <= pair[0] <= pair[1]:
        raise ValueError(f"sentences_per_doc must be (min, max) with 1 <= min <= max, got {sentences_per_doc!r}")
    rng = random.Random(seed)
    names = sorted(ANIMALS)
    documents = []
    for _ in range(n_docs):
        a = rng.choice(names)
        food, home, sound, colour = ANIMALS[a]
        n = rng.randint(*sentences_per_doc)
        documents.append(
            [rng.choice(TEMPLATES).format(a=a, food=food, home=home, sound=sound, colour=colour) for _ in range(n)]
        )
    return documents


def _all_words() -> list[str]:
    words = {w for t in TEMPLATES for w in t.split() if not w.startswith("{")}
    for a, facts in ANIMALS.items():
        words.add(a)
        words.update(facts)
    return sorted(words)


@functools.cache
def corpus_tokenizer():
    """A ``BertTokenizerFast`` whose vocabulary is the bert-base-uncased pieces this corpus uses.

    The special tokens come first ([PAD]=0, [UNK], [CLS], [SEP], [MASK]), then the pieces in
    their bert-base-uncased order. Every corpus word splits exactly as with the full tokenizer.
    """
    from transformers import BertTokenizerFast

    from ..models.pretrained import load_tokenizer

    full = load_tokenizer()
    pieces = sorted({p for w in _all_words() for p in full.tokenize(w)}, key=full.convert_tokens_to_ids)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + pieces
    text = "\n".join(vocab) + "\n"
    folder = Path(tempfile.gettempdir()) / f"course_lib_corpus_vocab_{hashlib.sha1(text.encode()).hexdigest()[:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text(text)
    return BertTokenizerFast.from_pretrained(str(folder), do_lower_case=True)


def make_nsp_pairs(documents: list[list[str]], seed: int = 0) -> list[tuple[str, str, int]]:
    """(sentence A, sentence B, label) pairs, half of each kind, as in BERT's data pipeline:
    label 0: B is the sentence after A in the same document; label 1: B comes from another
    document (here: one about a different animal, so the pair is really unrelated)."""
    if not documents or not all(isinstance(doc, list) and doc for doc in documents):
        raise ValueError("make_nsp_pairs needs a non-empty list of documents, each a non-empty list of sentences")
    animals = {_animal_of(doc) for doc in documents}
    if len(animals) < 2 and any(len(doc) > 1 for doc in documents):
        # A negative B must come from a document about another animal; with one animal there is none,
        # and the draw below would loop forever.
        raise ValueError(
            f"every document is about the same animal ({animals.pop()}): no unrelated sentence B can be drawn "
            "for the 'random' pairs; generate more documents (generate_documents(n_docs=...)) so that "
            "at least two animals occur"
        )
    rng = random.Random(seed)
    pairs = []
    for doc in documents:
        for i in range(len(doc) - 1):
            if rng.random() < 0.5:
                pairs.append((doc[i], doc[i + 1], 0))
            else:
                while True:
                    other = documents[rng.randrange(len(documents))]
                    if other is not doc and not _same_animal(other, doc):
                        break
                pairs.append((doc[i], rng.choice(other), 1))
    rng.shuffle(pairs)
    return pairs


def _animal_of(doc: list[str]) -> str:
    words = set(" ".join(doc).split())
    found = next((a for a in ANIMALS if a in words), None)
    if found is None:
        raise ValueError(f"a document names none of the corpus animals {sorted(ANIMALS)}: {doc[:1]!r}")
    return found


def _same_animal(doc_a, doc_b) -> bool:
    return _animal_of(doc_a) == _animal_of(doc_b)


def encode_pairs(pairs, tokenizer, max_length: int = 32) -> dict[str, torch.Tensor]:
    """Tokenize (A, B) pairs as ``[CLS] A [SEP] B [SEP]`` with token types 0 / 1, padded."""
    if not pairs:
        raise ValueError("encode_pairs needs at least one (sentence A, sentence B, label) pair")
    enc = tokenizer(
        [a for a, _, _ in pairs],
        [b for _, b, _ in pairs],
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    return {
        "input_ids": enc["input_ids"],
        "token_type_ids": enc["token_type_ids"],
        "attention_mask": enc["attention_mask"],
        "next_sentence_label": torch.tensor([label for _, _, label in pairs]),
    }


def tiny_bert_config(tokenizer, **overrides):
    """A 2-layer, 64-wide BERT over the corpus vocabulary (about 0.1 M parameters)."""
    from transformers import BertConfig

    settings = dict(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=64,
        pad_token_id=tokenizer.pad_token_id,
        hidden_dropout_prob=0.0,  # tiny data, few steps: dropout would only slow the demo down
        attention_probs_dropout_prob=0.0,
    )
    settings.update(overrides)
    return BertConfig(**settings)


def _masked_batch(data, index, tokenizer, generator):
    from ..training.masking import mask_tokens

    batch = {k: v[index] for k, v in data.items()}
    batch["input_ids"], batch["labels"] = mask_tokens(batch["input_ids"], tokenizer, generator=generator)
    return batch


def pretrain(model, data, tokenizer, steps: int = 300, batch_size: int = 32, lr: float = 2e-3, seed: int = 0):
    """Train a ``BertForPreTraining`` on encoded pairs with fresh 15 % / 80-10-10 masks at every
    step (dynamic masking, as RoBERTa does). Returns ``{"mlm": [...], "nsp": [...]}``, one loss
    per step. The two losses are computed with :mod:`course_lib.losses`, and their sum is
    the model's own ``loss`` (checked at every step).
    """
    from ..losses import masked_lm_loss, next_sentence_loss

    for name, value in (("steps", steps), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    if not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    history = {"mlm": [], "nsp": []}
    n = data["input_ids"].shape[0]
    model.train()
    # Linear warm-up over the first 10 % of the steps: Adam's early updates are noisy, and a
    # post-LN Transformer trained from scratch is fragile at full learning rate (notebook 10).
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
    for _ in range(steps):
        index = torch.randint(0, n, (batch_size,), generator=generator)
        batch = _masked_batch(data, index, tokenizer, generator)
        out = model(**batch)
        mlm = masked_lm_loss(out.prediction_logits, batch["labels"])
        nsp = next_sentence_loss(out.seq_relationship_logits, batch["next_sentence_label"])
        if not torch.allclose(out.loss, mlm + nsp):
            raise RuntimeError("the model's loss is not MLM + NSP")
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()
        schedule.step()
        history["mlm"].append(mlm.item())
        history["nsp"].append(nsp.item())
    model.eval()
    return history


@torch.no_grad()
def evaluate(model, data, tokenizer, seed: int = 123) -> dict[str, float]:
    """Held-out MLM loss, MLM accuracy at the selected positions, and NSP accuracy (fixed masks)."""
    from ..losses import IGNORE_INDEX, masked_lm_loss

    model.eval()
    generator = torch.Generator().manual_seed(seed)
    batch = _masked_batch(data, torch.arange(data["input_ids"].shape[0]), tokenizer, generator)
    out = model(**batch)
    scored = batch["labels"] != IGNORE_INDEX
    mlm_acc = (out.prediction_logits.argmax(-1)[scored] == batch["labels"][scored]).float().mean().item()
    nsp_acc = (out.seq_relationship_logits.argmax(-1) == batch["next_sentence_label"]).float().mean().item()
    return {"mlm_loss": masked_lm_loss(out.prediction_logits, batch["labels"]).item(), "mlm_accuracy": mlm_acc,
            "nsp_accuracy": nsp_acc}


def input_blind_baselines(data, tokenizer, seed: int = 123, train=None) -> dict[str, float]:
    """What :func:`evaluate`'s two accuracies must beat, on the same pairs and the same masked positions.

    - ``mlm_best_constant``: always answer the piece that is most often the masked one on this set (the best
      input-blind answer, chosen by looking at the answers);
    - ``nsp_best_constant``: always answer the more frequent NSP label of this set;
    - ``nsp_same_animal_rule``: "B follows A" exactly when A and B name the same animal. Every negative pair
      of this corpus takes B from a document about another animal, so this one-line lexical rule is the
      strongest simple baseline of the corpus's NSP task;
    - ``mlm_sentence_lookup`` (only with ``train``, the encoded training pairs): fill each masked piece from the
      training sentences that agree with every piece that was *not* selected for masking (the most common piece
      among them at that position). On a corpus of a few dozen distinct sentences this table is the strongest
      simple MLM baseline: it is what memorising the sentences gives.
    """
    from collections import Counter

    from ..losses import IGNORE_INDEX

    generator = torch.Generator().manual_seed(seed)  # the masks evaluate() draws with the same seed
    batch = _masked_batch(data, torch.arange(data["input_ids"].shape[0]), tokenizer, generator)
    targets = batch["labels"][batch["labels"] != IGNORE_INDEX]
    nsp = data["next_sentence_label"]
    animal_ids = {tokenizer.convert_tokens_to_ids(a) for a in ANIMALS}

    def animal(ids: torch.Tensor) -> int | None:
        return next((int(i) for i in ids if int(i) in animal_ids), None)

    rule = []
    for ids, types, mask in zip(data["input_ids"], data["token_type_ids"], data["attention_mask"]):
        a, b = ids[(types == 0) & (mask == 1)], ids[(types == 1) & (mask == 1)]
        rule.append(0 if animal(a) == animal(b) else 1)  # label 0 = "B follows A"
    result = {
        "mlm_best_constant": torch.bincount(targets).max().item() / targets.numel(),
        "nsp_best_constant": torch.bincount(nsp).max().item() / nsp.numel(),
        "nsp_same_animal_rule": (torch.tensor(rule) == nsp).float().mean().item(),
    }
    if train is None:
        return result

    def segments(ids, types, mask):  # the pieces of sentence A and of sentence B ([CLS]/[SEP] included)
        return [ids[(types == t) & (mask == 1)] for t in (0, 1)]

    known: dict[int, list[tuple[int, ...]]] = {}
    for row in zip(train["input_ids"], train["token_type_ids"], train["attention_mask"]):
        for seg in segments(*row):
            known.setdefault(len(seg), []).append(tuple(seg.tolist()))
    known = {length: sorted(set(rows)) for length, rows in known.items()}
    fallback = int(torch.bincount(targets).argmax())
    hits = total = 0
    for ids, labels, types, mask in zip(batch["input_ids"], batch["labels"], data["token_type_ids"],
                                        data["attention_mask"]):
        for seg_ids, seg_labels in zip(segments(ids, types, mask), segments(labels, types, mask)):
            chosen = (seg_labels != IGNORE_INDEX).nonzero().squeeze(1).tolist()
            if not chosen:
                continue
            kept = [i for i in range(len(seg_ids)) if i not in chosen]
            matches = [t for t in known.get(len(seg_ids), []) if all(t[i] == int(seg_ids[i]) for i in kept)]
            for i in chosen:
                guess = Counter(t[i] for t in matches).most_common(1)[0][0] if matches else fallback
                hits += guess == int(seg_labels[i])
                total += 1
    result["mlm_sentence_lookup"] = hits / total
    return result


@torch.no_grad()
def predict_masked(model, tokenizer, sentences) -> list[str]:
    """Top-1 prediction for the (single) [MASK] in each sentence."""
    model.eval()
    predictions = []
    for sentence in sentences:
        enc = tokenizer(sentence, return_tensors="pt")
        out = model(**enc)
        logits = out.prediction_logits if hasattr(out, "prediction_logits") else out.logits
        position = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero()[0, 0]
        predictions.append(tokenizer.convert_ids_to_tokens(int(logits[0, position].argmax())))
    return predictions
