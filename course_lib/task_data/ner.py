"""Named-entity recognition data: seeded sentences with BIO tags, and entity-level metrics.

Every sentence is a template ("{PER} visited {LOC} last week .") filled from word lists of
people (PER), places (LOC) and organisations (ORG). Many names split into several WordPieces
("Kowalczyk" -> ``ko ##wal ##cz ##yk``), so the sub-word label alignment of notebook 07 matters.
Tags follow the BIO scheme of CoNLL-2003 (Tjong Kim Sang & De Meulder, 2003): ``B-X`` opens an
entity of type X, ``I-X`` continues it, ``O`` is outside any entity.

The last quarter of every word list is reserved for the held-out split: ``split="test"`` (the
default ``names="unseen"``) uses only those names, so no entity word of a held-out sentence ever
occurs in a training sentence, and the model must tag it from context ("visited ___" is a place)
rather than from memory. ``names="seen"`` draws held-out sentences with the training names instead
(new sentences, known names), and ``names="all"`` mixes both pools: score the first two
separately to see what memorising the names is worth.

Metrics are entity-level, as in CoNLL-2003 and ``seqeval`` (default, non-strict mode): an entity
counts as found only if its type *and* both boundaries are right; precision, recall and F1 are
micro-averaged over entities. Written out here so the learner can read them.

Real data, when online (CoNLL-2003 has the same BIO tags plus MISC)::

    from datasets import load_dataset
    conll = load_dataset("eriktks/conll2003")          # or "conll2003" on older `datasets`
    names = conll["train"].features["ner_tags"].feature.names   # ['O', 'B-PER', 'I-PER', ...]
    words, tags = conll["train"][0]["tokens"], conll["train"][0]["ner_tags"]   # word lists + tag ids

``tokenize_and_align_labels`` (:mod:`course_lib.token_classification`) takes those lists as they are.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "LABELS",
    "LABEL2ID",
    "ID2LABEL",
    "NERExample",
    "make_ner_data",
    "entity_spans",
    "entity_metrics",
]

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
LABEL2ID = {label: i for i, label in enumerate(LABELS)}
ID2LABEL = dict(enumerate(LABELS))

# Word lists. Names are cased as in real text (the uncased tokenizer lower-cases them anyway, so
# capital letters give the model no hint). The last quarter of each list is held out: no training
# sentence uses it.
FIRST_NAMES = ["Anna", "James", "Olga", "Piotr", "Chidi", "Yuki", "Lars", "Amara", "Diego", "Fatima",
               "Ingrid", "Tomasz", "Kwame", "Sofia", "Mateo", "Aiko", "Bjorn", "Leila", "Rafael", "Zofia"]
SURNAMES = ["Kowalczyk", "Okonkwo", "Halvorsen", "Nakamura", "Szymanski", "Abernathy", "Vasquez",
            "Lindqvist", "Oyelaran", "Fitzgerald", "Brzezinski", "Castellanos", "Moreau", "Takahashi",
            "Adeyemi", "Grunewald", "Petrakis", "Quenby", "Wojcik", "Haraldsen"]
PLACES = [["Szczecin"], ["Ouagadougou"], ["Valparaiso"], ["Novosibirsk"], ["Wroclaw"], ["Thessaloniki"],
          ["Reykjavik"], ["Buenos", "Aires"], ["Cape", "Town"], ["Kuala", "Lumpur"], ["Lyon"], ["Tampere"],
          ["Porto"], ["San", "Sebastian"], ["Bratislava"], ["Winnipeg"], ["Mombasa"], ["Gdansk"],
          ["Trondheim"], ["Le", "Havre"]]
ORGS = [["Brightwater", "Bank"], ["Zyntrix", "Labs"], ["Ashgrove", "University"], ["Fenwick", "Motors"],
        ["Unicef"], ["Siemens"], ["Nordvik", "Energy"], ["Coral", "Ridge", "Hospital"], ["Halden", "Rail"],
        ["Quillon", "Press"], ["Marlowe", "Insurance"], ["Ostrava", "Steel"], ["Vantor", "Systems"],
        ["Greyfield", "College"], ["Pellucid", "Pharma"], ["Kestrel", "Airways"], ["Oxfam"],
        ["Tidewell", "Foods"], ["Larchmont", "Group"], ["Brimstone", "Games"]]

TEMPLATES = [
    "{PER} visited {LOC} last week .",
    "{PER} works for {ORG} .",
    "{ORG} opened an office in {LOC} .",
    "yesterday {PER} met {PER} in {LOC} .",
    "{PER} , the new head of {ORG} , lives in {LOC} .",
    "{PER} left {ORG} and moved to {LOC} .",
    "according to {ORG} , prices in {LOC} rose again .",
    "{PER} said the talks with {ORG} went well .",
    "in {LOC} , {PER} signed a deal with {ORG} .",
    "the mayor of {LOC} thanked {PER} for the visit .",
    "shares of {ORG} fell after {PER} resigned .",
    "{PER} flew from {LOC} to {LOC} on monday .",
]


@dataclass
class NERExample:
    """One sentence: its words and one BIO tag (a string from :data:`LABELS`) per word."""

    words: list[str]
    tags: list[str]

    @property
    def tag_ids(self) -> list[int]:
        return [LABEL2ID[t] for t in self.tags]


NAME_POOLS = ("unseen", "seen", "all")


def _split(items: list, pool: str) -> list:
    """``"seen"``: the first three quarters (the training names); ``"unseen"``: the last quarter,
    which no training sentence uses; ``"all"``: both."""
    cut = len(items) - len(items) // 4
    return {"seen": items[:cut], "unseen": items[cut:], "all": items}[pool]


def _entity(kind: str, rng: random.Random, pool: str) -> list[str]:
    if kind == "PER":
        first, last = rng.choice(_split(FIRST_NAMES, pool)), rng.choice(_split(SURNAMES, pool))
        return rng.choice([[first, last], [first, last], [last], [first]])
    if kind == "LOC":
        return list(rng.choice(_split(PLACES, pool)))
    if kind == "ORG":
        return list(rng.choice(_split(ORGS, pool)))
    raise ValueError(f"unknown entity type {kind!r}")


def make_ner_data(n: int, seed: int = 0, split: str = "train", names: str = "unseen") -> list[NERExample]:
    """``n`` seeded sentences with BIO tags.

    ``split="train"`` draws names from the first three quarters of each word list. ``split="test"``
    draws them from the pool ``names`` names: ``"unseen"`` (default) the last quarter, disjoint
    from every training name; ``"seen"`` the training names (new sentences, known names);
    ``"all"`` every name. ``names`` is ignored for the training split. Use different seeds for
    different sets.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if names not in NAME_POOLS:
        raise ValueError(f"names must be one of {NAME_POOLS}, got {names!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    pool = "seen" if split == "train" else names
    key = f"ner-{split}-{seed}" if split == "train" or names == "unseen" else f"ner-{split}-{names}-{seed}"
    rng = random.Random(key)
    examples = []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        for piece in rng.choice(TEMPLATES).split():
            if piece.startswith("{") and piece.endswith("}"):
                kind = piece[1:-1]
                entity = _entity(kind, rng, pool)
                words += entity
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
        examples.append(NERExample(words, tags))
    return examples


def _as_tags(sequence: Sequence) -> list[str]:
    return [ID2LABEL[int(t)] if not isinstance(t, str) else t for t in sequence]


def entity_spans(tags: Sequence) -> list[tuple[str, int, int]]:
    """The entities in one BIO sequence, as ``(type, first_word, last_word)``.

    Like seqeval's default mode: an ``I-X`` that follows ``O`` or an entity of another type opens
    a new entity (the model's mistake is forgiven in the boundaries, not in the type); an entity
    ends at ``O``, at any ``B-``, or where the type changes. Accepts tag strings or tag ids.
    """
    spans = []
    current, start = None, 0
    for i, tag in enumerate(_as_tags(tags) + ["O"]):  # the sentinel "O" closes the last entity
        if tag == "O":
            prefix, kind = "O", None
        else:
            prefix, sep, kind = tag.partition("-")
            if not sep or prefix not in ("B", "I"):
                raise ValueError(f"tag {tag!r} is not BIO: expected 'O', 'B-TYPE' or 'I-TYPE'")
        if current is not None and (prefix in ("B", "O") or kind != current):
            spans.append((current, start, i - 1))
            current = None
        if prefix == "B" or (prefix == "I" and current is None):
            current, start = kind, i
    return spans


def entity_metrics(true_tags: Sequence[Sequence], pred_tags: Sequence[Sequence]) -> dict:
    """Entity-level precision, recall and F1 (micro-averaged, 0..1), plus the same per type.

    ``true_tags`` and ``pred_tags`` are lists of sentences, each a list of tags (strings or ids),
    one per word. A predicted entity is correct only if an identical (type, start, end) is gold.
    """
    if len(true_tags) != len(pred_tags):
        raise ValueError(f"got {len(true_tags)} gold sentences but {len(pred_tags)} predicted ones")
    gold, pred = set(), set()
    for s, (t, p) in enumerate(zip(true_tags, pred_tags)):
        if len(t) != len(p):
            raise ValueError(f"sentence {s}: {len(t)} gold tags but {len(p)} predicted tags")
        gold |= {(s, *span) for span in entity_spans(t)}
        pred |= {(s, *span) for span in entity_spans(p)}

    def prf(g: set, p: set) -> dict:
        correct = len(g & p)
        precision = correct / len(p) if p else 0.0
        recall = correct / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "support": len(g)}

    result = prf(gold, pred)
    types = sorted({span[1] for span in gold | pred})
    result["per_type"] = {k: prf({x for x in gold if x[1] == k}, {x for x in pred if x[1] == k}) for k in types}
    return result
