"""Extractive question answering data in SQuAD's format: seeded contexts, questions, answers.

Each context introduces two people in two short sentences (where and when they were born, where
they work, what they do). A question asks about one of them, so the model has to find the right
person before it can point at the answer: copying "the first city in the context" is right only
half the time. Answers are spans of the context, given by text and character offset, exactly
as in SQuAD v1.1 (Rajpurkar et al., 2016, arXiv:1606.05250)::

    {"id": "qa-train-0-0", "context": "...", "question": "Where was Olga born?",
     "answers": {"text": ["Tampere"], "answer_start": [42]}}

With ``unanswerable_fraction > 0`` some questions ask about a third person who is not in the
context; their ``answers`` are empty, as in SQuAD v2.0 (Rajpurkar et al., 2018,
arXiv:1806.03822), and the right prediction is "no answer" ([CLS]).

The held-out split draws people, places and employers partly from names the training split never
uses (the last quarter of each list).

Real data, when online (the same dictionary format, so ``encode_qa_examples`` takes it as is)::

    from datasets import load_dataset
    squad = load_dataset("rajpurkar/squad")        # v1.1; "rajpurkar/squad_v2" for v2.0
    examples = list(squad["validation"].select(range(200)))

SQuAD contexts are long (about 150 tokens on average): use ``max_length=384`` and a stride
(``return_overflowing_tokens=True``) to split them into windows, as the transformers examples do.
"""

from __future__ import annotations

import random

__all__ = ["make_qa_data", "QUESTION_TEMPLATES"]

PEOPLE = ["Olga", "James", "Chidi", "Yuki", "Amara", "Diego", "Fatima", "Ingrid", "Tomasz", "Kwame",
          "Sofia", "Mateo", "Leila", "Rafael", "Bjorn", "Zofia"]
CITIES = ["Szczecin", "Valparaiso", "Novosibirsk", "Wroclaw", "Thessaloniki", "Reykjavik", "Lyon",
          "Tampere", "Porto", "Bratislava", "Winnipeg", "Mombasa", "Gdansk", "Trondheim", "Kraków", "Cape Town"]
EMPLOYERS = ["Brightwater Bank", "Zyntrix Labs", "Ashgrove University", "Fenwick Motors", "Siemens",
             "Nordvik Energy", "Halden Rail", "Quillon Press", "Marlowe Insurance", "Vantor Systems",
             "Greyfield College", "Kestrel Airways", "Tidewell Foods", "Larchmont Group", "Oxfam", "Pellucid Pharma"]
JOBS = ["nurse", "engineer", "teacher", "pilot", "chemist", "lawyer", "carpenter", "librarian", "baker",
        "surgeon", "journalist", "architect", "accountant", "plumber", "translator", "geologist"]

# One fact sentence per person; slots are filled, and each slot's character offset is recorded.
FACT_TEMPLATES = [
    "{name} was born in {city} in {year} and works as {art} {job} at {org}.",
    "{name}, {art} {job} born in {year} in {city}, works at {org}.",
    "Born in {city} in {year}, {name} is {art} {job} at {org}.",
]

# field -> question forms
QUESTION_TEMPLATES = {
    "city": ["Where was {name} born?", "In which city was {name} born?"],
    "year": ["When was {name} born?", "In what year was {name} born?"],
    "job": ["What is {name}'s job?", "What does {name} do for a living?"],
    "org": ["Where does {name} work?", "Who employs {name}?"],
}


def _pool(items: list, split: str) -> list:
    cut = len(items) - len(items) // 4
    return items[:cut] if split == "train" else items


def _fill(template: str, values: dict) -> tuple[str, dict]:
    """Fill ``{slot}``s left to right, recording where each value starts in the result."""
    out, starts, rest = "", {}, template
    while "{" in rest:
        before, _, after = rest.partition("{")
        slot, _, rest = after.partition("}")
        out += before
        starts[slot] = len(out)
        out += values[slot]
    return out + rest, starts


def make_qa_data(n: int, seed: int = 0, split: str = "train", unanswerable_fraction: float = 0.0,
                 with_facts: bool = False) -> list[dict]:
    """``n`` SQuAD-format examples (see the module docstring), reproducible from ``seed``.

    ``with_facts=True`` adds what the generator knows, for analysing mistakes: ``"field"`` (the
    asked field: city, year, job or org), ``"facts"`` (the two people of the context, in order,
    each a dict with name, city, year, job and org) and ``"asked"`` (0 or 1: whose fact the
    question asks; None for an unanswerable question). The examples are otherwise unchanged.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if not 0.0 <= unanswerable_fraction <= 1.0:
        raise ValueError(f"unanswerable_fraction must lie in [0, 1], got {unanswerable_fraction}")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:  # True is an int in Python: not a count
        raise ValueError(f"n must be a number of examples >= 0 (an int), got {n!r}")
    rng = random.Random(f"qa-{split}-{seed}")
    people, cities = _pool(PEOPLE, split), _pool(CITIES, split)
    orgs, jobs = _pool(EMPLOYERS, split), _pool(JOBS, split)
    examples = []
    for k in range(n):
        names = rng.sample(people, 3)  # two in the context, a third for unanswerable questions
        context, facts = "", []
        for name in names[:2]:
            values = {"name": name, "city": rng.choice(cities), "year": str(rng.randint(1950, 2005)),
                      "job": rng.choice(jobs), "org": rng.choice(orgs)}
            values["art"] = "an" if values["job"][0] in "aeiou" else "a"
            sentence, starts = _fill(rng.choice(FACT_TEMPLATES), values)
            offset = len(context) + (1 if context else 0)
            context = f"{context} {sentence}" if context else sentence
            facts.append((values, {slot: offset + s for slot, s in starts.items()}))
        field = rng.choice(sorted(QUESTION_TEMPLATES))
        form = rng.choice(QUESTION_TEMPLATES[field])
        asked = None
        if rng.random() < unanswerable_fraction:
            question, answers = form.format(name=names[2]), {"text": [], "answer_start": []}
        else:
            asked = rng.randrange(2)
            values, starts = facts[asked]
            question = form.format(name=values["name"])
            answers = {"text": [values[field]], "answer_start": [starts[field]]}
            assert context[starts[field]:starts[field] + len(values[field])] == values[field]
        example = {"id": f"qa-{split}-{seed}-{k}", "context": context, "question": question, "answers": answers}
        if with_facts:
            example.update(field=field, asked=asked,
                           facts=[{key: v[key] for key in ("name", "city", "year", "job", "org")} for v, _ in facts])
        examples.append(example)
    return examples
