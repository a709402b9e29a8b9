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

``make_synonym_qa_data`` (notebook 08's training task) asks for a job by a synonym that is not in the
context ("Which job in the text means doctor?" -> "physician"), with disjoint synonym pairs for
training, validation and test, so that no word-matching rule can find the answer.

Real data, when online (the same dictionary format, so ``encode_qa_examples`` takes it as is)::

    from datasets import load_dataset
    squad = load_dataset("rajpurkar/squad")        # v1.1; "rajpurkar/squad_v2" for v2.0
    examples = list(squad["validation"].select(range(200)))

SQuAD contexts are long (about 150 tokens on average): use ``max_length=384`` and a stride
(``return_overflowing_tokens=True``) to split them into windows, as the transformers examples do.
"""

from __future__ import annotations

import random

from .._checks import check_integer, check_probability

__all__ = ["make_qa_data", "QUESTION_TEMPLATES", "make_synonym_qa_data", "JOB_SYNONYMS"]

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
    check_probability("unanswerable_fraction", unanswerable_fraction)
    check_integer("n", n, 0, why="the number of examples")
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


# --------------------------------------------------------------------------------------------
# Who is the doctor? Contexts and questions that name the same job in different words
# --------------------------------------------------------------------------------------------

# (word, synonym) pairs that share no WordPiece token, so that no word of the question appears in the context.
# Training, validation and test use disjoint pairs: a held-out question names a job by a word pair the
# model never saw during fine-tuning, so only what the encoder knew beforehand can link the two words.
JOB_SYNONYMS = {
    "train": [("physician", "doctor"), ("attorney", "lawyer"), ("instructor", "teacher"), ("chef", "cook"),
              ("author", "writer"), ("painter", "artist"), ("singer", "vocalist"), ("cop", "policeman"),
              ("reporter", "journalist"), ("sailor", "mariner"), ("scientist", "researcher"),
              ("judge", "magistrate"), ("priest", "clergyman"), ("pupil", "student"), ("professor", "lecturer"),
              ("programmer", "coder"), ("manager", "boss"), ("mechanic", "repairman"), ("tailor", "dressmaker"),
              ("merchant", "trader"), ("athlete", "sportsman"), ("banker", "financier"),
              ("carpenter", "woodworker"), ("comedian", "comic"), ("boxer", "fighter"), ("gardener", "landscaper"),
              ("musician", "instrumentalist"), ("composer", "songwriter"), ("actor", "performer"),
              ("photographer", "cameraman"), ("clerk", "secretary"), ("cowboy", "rancher"), ("monk", "friar"),
              ("shopkeeper", "retailer"), ("psychiatrist", "shrink"), ("captain", "skipper"), ("spy", "agent"),
              ("pastor", "minister"), ("astronaut", "spaceman"), ("king", "monarch")],
    "validation": [("nanny", "babysitter"), ("hairdresser", "barber"), ("fisherman", "angler"), ("poet", "bard"),
                   ("guard", "watchman"), ("cashier", "teller")],
    "test": [("pilot", "aviator"), ("detective", "investigator"), ("translator", "interpreter"),
             ("housekeeper", "maid"), ("janitor", "caretaker"), ("accountant", "bookkeeper"),
             ("salesman", "vendor"), ("soldier", "serviceman"), ("waiter", "server"), ("chauffeur", "driver")],
}
SYNONYM_NAMES = ["Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Keiko",
                 "Liam", "Maya", "Nikolai", "Omar", "Priya", "Quentin", "Rosa", "Samir", "Tara"]
SYNONYM_FACTS = ["{name} is {art} {job}.", "{name} works as {art} {job}.", "{name} has a job as {art} {job}."]
SYNONYM_QUESTIONS = ["Who is the {job}?", "Which person works as {art} {job}?", "Who has a job as {art} {job}?"]
SYNONYM_JOB_QUESTIONS = ["Which job in the text means {job}?", "What does the text call the {job}?",
                         "Which word here means {art} {job}?"]


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def make_synonym_qa_data(n: int, seed: int = 0, split: str = "train", people: int = 3, answer: str = "job") -> list[dict]:
    """``n`` SQuAD-format examples whose question names a job with a synonym of the context's word.

    Each context introduces ``people`` people (2 to 4), one sentence each, with jobs from distinct pairs of
    ``JOB_SYNONYMS[split]``. The question names one of the jobs by the pair's *other* word, so no word of
    it occurs in the context. With ``answer="job"`` (the default) it asks for the context's word::

        {"context": "Anna is a physician. Ben works as a pilot. Chloe has a job as a chef.",
         "question": "Which job in the text means doctor?",
         "answers": {"text": ["physician"], "answer_start": [10]}}

    With ``answer="name"`` it asks who holds the job ("Who is the doctor?") and the answer is the person's
    name ("Anna"): one step more, from the matching job word to the name in its sentence.

    Which word of a pair is in the context and which in the question is drawn at random. The splits
    ("train", "validation", "test") use disjoint synonym pairs (names are shared). Each example also carries
    ``"names"`` (the people in context order), ``"asked"`` (the index of the asked person among them) and
    ``"pair"`` (the synonym pair asked about, for grouping results by pair).
    """
    if split not in JOB_SYNONYMS:
        raise ValueError(f"split must be one of {sorted(JOB_SYNONYMS)}, got {split!r}")
    check_integer("n", n, 0, why="the number of examples")
    check_integer("people", people, 2, 4, why="the people named in a context")
    if answer not in ("job", "name"):
        raise ValueError(f"answer must be 'job' (the context's word for the job) or 'name' (who holds it), got {answer!r}")
    rng = random.Random(f"synonym-qa-{split}-{seed}")
    pairs = JOB_SYNONYMS[split]
    examples = []
    for k in range(n):
        names = rng.sample(SYNONYM_NAMES, people)
        jobs = rng.sample(pairs, people)
        flips = [rng.random() < 0.5 for _ in range(people)]  # True: the context uses the pair's second word
        context, starts = "", []
        for name, pair, flip in zip(names, jobs, flips):
            word = pair[1] if flip else pair[0]
            sentence = rng.choice(SYNONYM_FACTS).format(name=name, art=_article(word), job=word)
            starts.append(len(context) + (1 if context else 0))
            context = f"{context} {sentence}" if context else sentence
        asked = rng.randrange(people)
        other_word = jobs[asked][0] if flips[asked] else jobs[asked][1]
        if answer == "name":
            question = rng.choice(SYNONYM_QUESTIONS).format(art=_article(other_word), job=other_word)
            text, start = names[asked], starts[asked]
        else:
            question = rng.choice(SYNONYM_JOB_QUESTIONS).format(art=_article(other_word), job=other_word)
            text = jobs[asked][1] if flips[asked] else jobs[asked][0]
            start = context.index(f" {text}.", starts[asked]) + 1
        assert context[start:start + len(text)] == text
        examples.append({"id": f"synonym-qa-{split}-{seed}-{k}", "context": context, "question": question,
                         "answers": {"text": [text], "answer_start": [start]},
                         "names": names, "asked": asked, "pair": jobs[asked]})
    return examples
