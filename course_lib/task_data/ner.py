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

``tokenize_and_align_labels`` (:mod:`course_lib.models.token_classification`) takes those lists as they are.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .._checks import check_integer

__all__ = [
    "LABELS",
    "LABEL2ID",
    "ID2LABEL",
    "NERExample",
    "make_ner_data",
    "entity_spans",
    "entity_metrics",
    "NUM_FOLDS",
    "make_ner_fold",
    "lookup_tags",
    "entity_counts_by_name",
    "context_tags",
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


def make_ner_data(n: int, seed: int = 0, split: str = "train", names: str = "unseen") -> list[NERExample]:
    """``n`` seeded sentences with BIO tags.

    ``split="train"`` draws names from the first three quarters of each word list. ``split="test"``
    draws them from the pool ``names`` names: ``"unseen"`` (default) the last quarter, disjoint
    from every training name; ``"seen"`` the training names (new sentences, known names);
    ``"all"`` every name. ``names`` is ignored for the training split. Use different seeds for
    different sets.
    """
    return make_ner_fold(n, NUM_FOLDS - 1, seed, split, names)  # the last quarter of every list held out


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


# --------------------------------------------------------------------------------------------
# Leave-names-out folds, the lookup baseline, and counts per name (for a bootstrap over names)
# --------------------------------------------------------------------------------------------

NUM_FOLDS = 4


def _fold_split(items: list, pool: str, fold: int) -> list:
    """Quarter ``fold`` of ``items`` is held out ("unseen"); the other three quarters, in order, are "seen"."""
    size = len(items) // NUM_FOLDS
    start = len(items) - size * (NUM_FOLDS - fold)
    held, kept = items[start : start + size], items[:start] + items[start + size :]
    return {"seen": kept, "unseen": held, "all": items}[pool]


def make_ner_fold(n: int, fold: int, seed: int = 0, split: str = "train", names: str = "unseen") -> list[NERExample]:
    """:func:`make_ner_data` with quarter ``fold`` (0 to 3) of every word list held out, instead of the last
    quarter: the four folds hold out every name once (leave-names-out cross-validation), so results on
    unseen names can rest on all 20 places, not on the 5 of one quarter. ``fold=3`` gives exactly
    :func:`make_ner_data`'s sentences. Within a fold, no entity word of ``split="test"`` (``names="unseen"``)
    occurs in its ``split="train"`` sentences."""
    check_integer("fold", fold, 0, NUM_FOLDS - 1, why=f"one of the {NUM_FOLDS} quarters of the names")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if names not in NAME_POOLS:
        raise ValueError(f"names must be one of {NAME_POOLS}, got {names!r}")
    check_integer("n", n, 0, why="the number of sentences")
    pool = "seen" if split == "train" else names
    key = f"ner-{split}-{seed}" if split == "train" or names == "unseen" else f"ner-{split}-{names}-{seed}"
    rng = random.Random(key)
    lists = {"PER": (_fold_split(FIRST_NAMES, pool, fold), _fold_split(SURNAMES, pool, fold)),
             "LOC": _fold_split(PLACES, pool, fold), "ORG": _fold_split(ORGS, pool, fold)}
    examples = []
    for _ in range(n):
        words: list[str] = []
        tags: list[str] = []
        for piece in rng.choice(TEMPLATES).split():
            if piece.startswith("{") and piece.endswith("}"):
                kind = piece[1:-1]
                if kind == "PER":  # the same draws, in the same order, as make_ner_data's
                    first, last = rng.choice(lists["PER"][0]), rng.choice(lists["PER"][1])
                    entity = rng.choice([[first, last], [first, last], [last], [first]])
                else:
                    entity = list(rng.choice(lists[kind]))
                words += entity
                tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                tags.append("O")
        examples.append(NERExample(words, tags))
    return examples


def lookup_tags(train: Sequence[NERExample], sentences: Sequence[Sequence[str]]) -> list[list[str]]:
    """The simplest tagger, a baseline for any trained one: a table of the training words.

    Each word (lower-cased, as the uncased tokenizer sees it) gets the entity type it had most often in
    ``train`` ("O" if it was mostly outside entities or never occurs there); a word continues the entity of
    the word before it (``I-``) when both have the same type, and opens one (``B-``) otherwise. It knows
    every training name and nothing else: on names it has never seen it can only answer "O"."""
    if isinstance(sentences, str) or any(isinstance(s, str) for s in sentences):
        raise TypeError("sentences must be a list of sentences, each a list of words")
    counts: dict[str, dict[str, int]] = {}
    for example in train:
        if not isinstance(example, NERExample):
            raise TypeError(f"train must hold NERExample items, got {type(example).__name__}")
        for word, tag in zip(example.words, example.tags):
            kind = "O" if tag == "O" else tag[2:]
            table = counts.setdefault(word.lower(), {})
            table[kind] = table.get(kind, 0) + 1
    best = {word: max(sorted(table), key=table.get) for word, table in counts.items()}
    result = []
    for sentence in sentences:
        tags, previous = [], "O"
        for word in sentence:
            kind = best.get(word.lower(), "O")
            tags.append("O" if kind == "O" else f"{'I' if kind == previous else 'B'}-{kind}")
            previous = kind
        result.append(tags)
    return result


def entity_counts_by_name(sentences: Sequence[Sequence[str]], true_tags: Sequence[Sequence],
                          pred_tags: Sequence[Sequence]) -> dict[str, list[int]]:
    """Entity-level counts ``[correct, gold, predicted]`` grouped by the **name** they concern: the gold
    entity's words, lower-cased ("le havre"). A predicted entity goes to the gold entity it overlaps (the
    first one), or, overlapping none, to its own words.

    Summed over the groups they give :func:`entity_metrics`' F1 (``2 * correct / (gold + predicted)``).
    Grouped, they allow a bootstrap over names: when 200 sentences reuse 25 names, the mentions of one name
    are not independent (a name the model gets wrong is wrong in every sentence), so resample the names,
    with all their mentions, not the sentences."""
    if not len(sentences) == len(true_tags) == len(pred_tags):
        raise ValueError(f"got {len(sentences)} sentences, {len(true_tags)} gold and {len(pred_tags)} predicted tag lists")
    groups: dict[str, list[int]] = {}
    for s, (words, gold_seq, pred_seq) in enumerate(zip(sentences, true_tags, pred_tags)):
        if not len(words) == len(gold_seq) == len(pred_seq):
            raise ValueError(f"sentence {s}: {len(words)} words, {len(gold_seq)} gold and {len(pred_seq)} predicted tags")
        gold = entity_spans(gold_seq)
        pred = set(entity_spans(pred_seq))

        for span in gold:
            row = groups.setdefault(" ".join(words[span[1] : span[2] + 1]).lower(), [0, 0, 0])
            row[1] += 1
            row[0] += span in pred
        for span in pred:
            overlapping = [g for g in gold if g[1] <= span[2] and span[1] <= g[2]]
            target = overlapping[0] if overlapping else span
            groups.setdefault(" ".join(words[target[1] : target[2] + 1]).lower(), [0, 0, 0])[2] += 1
    return groups


def context_tags(train: Sequence[NERExample], sentences: Sequence[Sequence[str]]) -> list[list[str]]:
    """A table of contexts: the strongest simple tagger for names that training never showed.

    A word seen in ``train`` gets its most frequent training type, as in :func:`lookup_tags`. A word never
    seen there gets the type that training words had most often *between the same two neighbours*
    (left and right word, lower-cased; a neighbour that is a name, or unknown, counts as ``<name>``, so
    "Chidi Okonkwo for" and "Anna Kowalczyk for" look alike). If that pair never occurs in training, the
    left neighbour alone decides, then the right one, then "O". ``B-``/``I-`` as in :func:`lookup_tags`.
    It needs no training step: only counts over the training sentences."""
    if isinstance(sentences, str) or any(isinstance(s, str) for s in sentences):
        raise TypeError("sentences must be a list of sentences, each a list of words")
    word_counts: dict[str, dict[str, int]] = {}
    for example in train:
        if not isinstance(example, NERExample):
            raise TypeError(f"train must hold NERExample items, got {type(example).__name__}")
        for word, tag in zip(example.words, example.tags):
            table = word_counts.setdefault(word.lower(), {})
            kind = "O" if tag == "O" else tag[2:]
            table[kind] = table.get(kind, 0) + 1
    best = {word: max(sorted(table), key=table.get) for word, table in word_counts.items()}

    def neighbour(words: Sequence[str], i: int) -> str:
        if i < 0 or i >= len(words):
            return "<edge>"
        word = words[i].lower()
        return word if best.get(word) == "O" else "<name>"

    contexts: dict[tuple, dict[str, int]] = {}
    for example in train:
        for i, tag in enumerate(example.tags):
            kind = "O" if tag == "O" else tag[2:]
            left, right = neighbour(example.words, i - 1), neighbour(example.words, i + 1)
            for key in ((left, right), (left, None), (None, right)):
                table = contexts.setdefault(key, {})
                table[kind] = table.get(kind, 0) + 1
    result = []
    for sentence in sentences:
        tags, previous = [], "O"
        for i, word in enumerate(sentence):
            kind = best.get(word.lower())
            if kind is None:
                left, right = neighbour(sentence, i - 1), neighbour(sentence, i + 1)
                table = next((contexts[key] for key in ((left, right), (left, None), (None, right)) if key in contexts),
                             {"O": 1})
                kind = max(sorted(table), key=table.get)
            tags.append("O" if kind == "O" else f"{'I' if kind == previous else 'B'}-{kind}")
            previous = kind
        result.append(tags)
    return result
