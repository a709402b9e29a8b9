"""Seeded sentence-level tasks: sentiment, similarity, topic tags, and "which continuation follows".

Four small generators, one per kind of sentence-level head, built from templates and word lists so
that a notebook can fine-tune the real pretrained encoder in seconds, offline, on the same data on
every run. Each returns plain Python lists (look at them!), and :func:`encode` /
:func:`encode_choices` turn them into tensors with the real bert-base-uncased tokenizer of the
packaged encoder (``course_lib.models.pretrained.load_tokenizer()``).

=====================  ==============================  =========================  ===================
generator              stands in for                   labels                     head / loss
=====================  ==============================  =========================  ===================
:func:`sentiment`      SST-2 (``glue``, ``sst2``)      0 negative / 1 positive    single-label, CE
:func:`similarity`     STS-B (``glue``, ``stsb``)      float score in [0, 5]      regression, MSE
:func:`topic_tags`     any multi-label tagging set     multi-hot over 5 topics    multi-label, BCE
:func:`continuations`  SWAG (``swag``, ``regular``)    index of the right ending  multiple choice, CE
=====================  ==============================  =========================  ===================

Held-out splits are honest: ``split="test"`` draws sentiment words, and context/ending pairs, that
the ``"train"`` split never uses, so a good test score means the model generalised (from what the
pretrained encoder already knows about words), not that it memorised the training words.

Swapping in the real data sets when a network is available (``pip install datasets``)::

    from datasets import load_dataset
    sst2 = load_dataset("glue", "sst2")["train"]            # fields: sentence, label (0/1)
    examples = Examples(texts=sst2["sentence"], labels=sst2["label"], label_names=["negative", "positive"])

    stsb = load_dataset("glue", "stsb")["train"]            # sentence1, sentence2, label (float 0..5)
    examples = Examples(texts=list(zip(stsb["sentence1"], stsb["sentence2"])), labels=stsb["label"])

    swag = load_dataset("swag", "regular")["train"]         # sent1, sent2, ending0..ending3, label
    examples = ChoiceExamples(
        contexts=[f"{a} {b}" for a, b in zip(swag["sent1"], swag["sent2"])],
        endings=[[row[f"ending{i}"] for i in range(4)] for row in swag],
        labels=swag["label"])

``encode`` and ``encode_choices`` then work unchanged (use a larger ``max_length``: 128 for
SST-2 and STS-B, 64-80 for SWAG).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import torch

from .._checks import check_integer

__all__ = [
    "Examples",
    "ChoiceExamples",
    "SENTIMENT_WORDS",
    "TOPICS",
    "sentiment",
    "similarity",
    "topic_tags",
    "continuations",
    "encode",
    "encode_choices",
]

SPLITS = ("train", "test")

# --------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------


@dataclass
class Examples:
    """Texts (a string, or a (first, second) pair for sentence-pair tasks) and one label each."""

    texts: list
    labels: list
    label_names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, i: int):
        return self.texts[i], self.labels[i]


@dataclass
class ChoiceExamples:
    """A context, its candidate endings, and the index of the right ending."""

    contexts: list[str]
    endings: list[list[str]]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.contexts)

    def __getitem__(self, i: int):
        return self.contexts[i], self.endings[i], self.labels[i]


def _check(n: int, split: str) -> None:
    check_integer("n", n, 1, why="the number of examples")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _rng(seed: int, split: str, task: str) -> random.Random:
    # A separate stream per (task, split): the test set does not change when n_train does.
    return random.Random(f"{task}/{split}/{seed}")


NAMES = ["anna", "ben", "carla", "david", "emma", "frank", "grace", "henry", "iris", "jack", "kate", "leo",
         "maria", "nick", "olivia", "paul", "rosa", "sam", "tina", "victor"]

# --------------------------------------------------------------------------------------------
# Sentiment (two classes)
# --------------------------------------------------------------------------------------------

# The last four words of each list are reserved for the test split.
SENTIMENT_WORDS = {
    "positive": ["wonderful", "great", "excellent", "delightful", "brilliant", "charming", "enjoyable",
                 "fantastic", "lovely", "beautiful", "pleasant", "amazing",
                 "superb", "terrific", "marvelous", "splendid"],
    "negative": ["terrible", "awful", "boring", "dull", "disappointing", "tedious", "poor", "annoying",
                 "bad", "unpleasant", "lousy", "mediocre",
                 "dreadful", "horrible", "miserable", "pathetic"],
}
_HELD_OUT = 4
_SUBJECTS = ["movie", "film", "show", "book", "concert", "meal", "play", "album", "hotel", "game",
             "restaurant", "trip", "lecture", "novel", "song", "series"]
_SENTIMENT_TEMPLATES = [
    "the {noun} was {adj}.",
    "i thought the {noun} was really {adj}.",
    "what a {adj} {noun}!",
    "{name} said the {noun} was {adj}.",
    "honestly, the {noun} felt {adj} from start to finish.",
    "we all agreed that the {noun} was {adj}.",
    "the {noun} last night was {adj}.",
    "my friends found the {noun} quite {adj}.",
]


def _words(polarity: str, split: str) -> list[str]:
    words = SENTIMENT_WORDS[polarity]
    return words[:-_HELD_OUT] if split == "train" else words[-_HELD_OUT:]


def sentiment(n: int, seed: int = 0, split: str = "train") -> Examples:
    """Short opinions about a movie, a meal, ...: label 1 if positive, 0 if negative (balanced).

    The sentiment word is the only clue; the test split uses sentiment words the training split
    never shows, so the head must rely on what the encoder learned about those words in pre-training.
    """
    _check(n, split)
    rng = _rng(seed, split, "sentiment")
    labels = [i % 2 for i in range(n)]
    rng.shuffle(labels)  # exactly balanced (to within one), in random order
    texts = []
    for label in labels:
        polarity = "positive" if label == 1 else "negative"
        template = rng.choice(_SENTIMENT_TEMPLATES)
        texts.append(template.format(noun=rng.choice(_SUBJECTS), adj=rng.choice(_words(polarity, split)),
                                     name=rng.choice(NAMES)))
    return Examples(texts, labels, ["negative", "positive"])


# --------------------------------------------------------------------------------------------
# Similarity (regression)
# --------------------------------------------------------------------------------------------

_WHO = NAMES
_DID = ["cooked dinner", "read a book", "played chess", "painted the fence", "fixed the bike", "wrote a letter",
        "watched a film", "planted tomatoes", "baked bread", "sang a song"]
_WHERE = ["in the kitchen", "at the park", "in the garden", "at school", "on the boat", "in the library",
          "at the station", "on the roof"]
_WHEN = ["on monday", "in the morning", "last summer", "at midnight", "after lunch", "on her birthday",
         "before the storm", "yesterday"]
_SLOTS = (_WHO, _DID, _WHERE, _WHEN)


def similarity(n: int, seed: int = 0, split: str = "train") -> Examples:
    """Sentence pairs "who did what where when" with a similarity score in [0, 5], STS-B style.

    The second sentence keeps k of the four slots of the first and changes the rest, and the score
    is 5 * k / 4 (0, 1.25, 2.5, 3.75 or 5). Labels are floats: a regression target.
    """
    _check(n, split)
    rng = _rng(seed, split, "similarity")
    texts, labels = [], []
    for _ in range(n):
        first = [rng.choice(slot) for slot in _SLOTS]
        keep = rng.randint(0, 4)
        kept = set(rng.sample(range(4), keep))
        second = [first[i] if i in kept else rng.choice([w for w in _SLOTS[i] if w != first[i]]) for i in range(4)]
        texts.append((" ".join(first) + ".", " ".join(second) + "."))
        labels.append(5.0 * keep / 4)
    return Examples(texts, labels, ["similarity (0-5)"])


# --------------------------------------------------------------------------------------------
# Multi-label topic tags
# --------------------------------------------------------------------------------------------

TOPICS = {
    "sports": ["the team won the match", "she ran a marathon", "the goalkeeper saved a penalty",
               "they trained at the stadium"],
    "food": ["the soup was too salty", "we baked a chocolate cake", "he ordered pasta", "the bread was fresh"],
    "weather": ["it rained all afternoon", "the wind was cold", "snow covered the roads", "the sun came out"],
    "music": ["the band played loudly", "she practised the piano", "the choir sang", "he bought a new guitar"],
    "travel": ["our flight was delayed", "they took the night train", "we booked a hotel by the sea",
               "the passport was stamped"],
}


def topic_tags(n: int, seed: int = 0, split: str = "train") -> Examples:
    """Sentences that mention one to three topics; the label is a multi-hot float vector over
    ``TOPICS`` (several labels can be on at once: a multi-label problem)."""
    _check(n, split)
    rng = _rng(seed, split, "topics")
    names = list(TOPICS)
    texts, labels = [], []
    for _ in range(n):
        chosen = sorted(rng.sample(range(len(names)), rng.randint(1, 3)))
        clauses = [rng.choice(TOPICS[names[i]]) for i in chosen]
        rng.shuffle(clauses)
        texts.append(", and ".join(clauses) + ".")
        labels.append([1.0 if i in chosen else 0.0 for i in range(len(names))])
    return Examples(texts, labels, names)


# --------------------------------------------------------------------------------------------
# SWAG-like multiple choice
# --------------------------------------------------------------------------------------------

# (context, the ending that follows). A question shows one context with its own ending and
# distractors taken from other pairs of the same split. 72 pairs train; the last 40 are reserved for
# the test split, enough different contexts that a held-out score is not the score of a handful.
_CONTINUATIONS = [
    ("{name} opened an umbrella because", "it had started to rain."),
    ("{name} put on a thick coat because", "it was freezing outside."),
    ("{name} drank a large glass of water because", "the afternoon was very hot and dry."),
    ("{name} went to bed early because", "the day had been exhausting."),
    ("{name} called the plumber because", "the kitchen sink was leaking."),
    ("{name} turned on the lamp because", "the room had become dark."),
    ("{name} ordered a second pizza because", "everyone at the party was still hungry."),
    ("{name} ran to the station because", "the last train was about to leave."),
    ("{name} took the dog outside because", "it was time for its evening walk."),
    ("{name} bought a new phone because", "the old one had a cracked screen."),
    ("{name} studied all weekend because", "the final exam was on monday."),
    ("{name} put sunscreen on because", "the beach was bright and sunny."),
    ("{name} fed the cat because", "its bowl was empty."),
    ("{name} wore gloves in the garden because", "the roses had sharp thorns."),
    ("{name} booked a doctor's appointment because", "the cough would not go away."),
    ("{name} filled the car with petrol because", "the tank was almost empty."),
    ("{name} washed the dishes because", "the sink was full of dirty plates."),
    ("{name} closed the window because", "the wind was blowing papers everywhere."),
    ("{name} charged the laptop because", "the battery was nearly flat."),
    ("{name} practised the violin every day because", "the concert was next week."),
    ("{name} watered the plants because", "the soil was completely dry."),
    ("{name} lit a fire in the fireplace because", "the house felt cold."),
    ("{name} bought flowers because", "it was her mother's birthday."),
    ("{name} apologised because", "the meeting had started without the report."),
    ("{name} took an aspirin because", "the headache was getting worse."),
    ("{name} put the milk back in the fridge because", "it would go sour in the heat."),
    ("{name} carried an extra bag because", "the shopping would not fit in one."),
    ("{name} turned down the music because", "the neighbours were trying to sleep."),
    ("{name} bought a map because", "the town was new to the whole family."),
    ("{name} called a taxi because", "the buses had stopped running."),
    ("{name} sharpened the pencils because", "the drawing class began at nine."),
    ("{name} repainted the fence because", "the old paint was peeling off."),
    ("{name} returned the shirt because", "it was two sizes too small."),
    ("{name} stayed home from work because", "the fever had not gone down."),
    ("{name} left the party early because", "the babysitter had to go home."),
    ("{name} saved money every month because", "a new car was the goal for next year."),
    ("{name} put a plaster on the finger because", "the knife had slipped."),
    ("{name} borrowed a ladder because", "the gutter was blocked with leaves."),
    ("{name} wore a helmet because", "cycling in traffic is dangerous."),
    ("{name} turned on the heating because", "the evenings had grown chilly."),
    ("{name} changed the light bulb because", "the old one had burnt out."),
    ("{name} bought a bigger suitcase because", "the trip would last a month."),
    ("{name} took the stairs because", "the lift was out of order."),
    ("{name} made a reservation because", "the restaurant is always full on fridays."),
    ("{name} packed a raincoat because", "the forecast promised showers."),
    ("{name} got a haircut because", "the job interview was the next day."),
    ("{name} locked the door twice because", "there had been burglaries in the street."),
    ("{name} baked a cake because", "the whole class had passed the exam."),
    ("{name} went to the dentist because", "a tooth had started to ache."),
    ("{name} printed the tickets because", "the venue did not accept phones."),
    ("{name} spoke slowly because", "the listener was still learning the language."),
    ("{name} put salt on the path because", "the steps were covered in ice."),
    ("{name} bought a fan because", "the bedroom was too hot at night."),
    ("{name} opened all the windows because", "the kitchen smelled of burnt toast."),
    ("{name} took a photo of the sky because", "the sunset had turned it bright orange."),
    ("{name} hired a removal firm because", "the piano was far too heavy to lift."),
    ("{name} ate a big breakfast because", "the hike would take all day."),
    ("{name} switched off the phone because", "the film was about to start."),
    ("{name} bought new tyres because", "the old ones were worn smooth."),
    ("{name} cancelled the picnic because", "a storm was on its way."),
    ("{name} put a coat on the dog because", "the little terrier shivered in the snow."),
    ("{name} went to the library because", "the essay needed more sources."),
    ("{name} called the bank because", "the credit card had been stolen."),
    ("{name} boiled the water because", "the tap water was not safe to drink."),
    ("{name} whispered because", "the baby had just fallen asleep."),
    ("{name} bought a second alarm clock because", "oversleeping had already caused trouble at work."),
    ("{name} wore a suit because", "the wedding was formal."),
    ("{name} took the bins out because", "the rubbish lorry came on tuesday."),
    ("{name} sewed the jacket because", "a button had fallen off."),
    ("{name} put on reading glasses because", "the small print was hard to read."),
    ("{name} used a torch because", "the power had gone out."),
    ("{name} drove slowly because", "the road was covered in fog."),
    # test split only
    ("{name} wore sunglasses because", "the sun was shining brightly."),
    ("{name} made a cup of tea because", "the guests had just arrived."),
    ("{name} fixed the flat tyre because", "the bike ride was planned for the morning."),
    ("{name} set an alarm because", "the flight left very early."),
    ("{name} cleaned the whole flat because", "the landlord was coming to inspect it."),
    ("{name} put on running shoes because", "the race started in an hour."),
    ("{name} grabbed a towel because", "the swimming pool was open."),
    ("{name} wrote a shopping list because", "the fridge was almost empty."),
    ("{name} bought a new battery because", "the watch had stopped."),
    ("{name} went to the pharmacy because", "the prescription was ready."),
    ("{name} wore boots because", "the field was muddy after the rain."),
    ("{name} took a nap because", "the night shift had been long."),
    ("{name} called the vet because", "the horse was limping."),
    ("{name} brought the plants inside because", "frost was expected overnight."),
    ("{name} bought earplugs because", "the hotel room faced a busy road."),
    ("{name} refilled the printer because", "the pages were coming out blank."),
    ("{name} brought a cushion because", "the stadium seats were hard."),
    ("{name} rang the doorbell again because", "nobody had answered the first time."),
    ("{name} wrapped the vase in paper because", "it could break in the post."),
    ("{name} drank a strong coffee because", "the lecture was early and dull."),
    ("{name} joined a gym because", "the doctor advised more exercise."),
    ("{name} learned to swim because", "the family was moving to the coast."),
    ("{name} turned the car around because", "the bridge ahead was closed."),
    ("{name} bought a cot because", "the baby was due in june."),
    ("{name} asked for the bill because", "the last bus left in ten minutes."),
    ("{name} put on a mask because", "the air was full of smoke from the fires."),
    ("{name} weeded the vegetable patch because", "the carrots were being choked."),
    ("{name} replaced the lock because", "the keys had been lost."),
    ("{name} went back to the shop because", "the receipt showed a mistake."),
    ("{name} covered the pool because", "leaves kept falling into it."),
    ("{name} stood on a chair because", "the top shelf was out of reach."),
    ("{name} switched to decaf because", "the coffee was causing sleepless nights."),
    ("{name} read the manual because", "the new oven had too many buttons."),
    ("{name} planted a tree because", "the garden needed shade in summer."),
    ("{name} moved closer to the stage because", "the speaker was hard to hear."),
    ("{name} sold the old bicycle because", "it had not been ridden in years."),
    ("{name} defrosted the freezer because", "its door would no longer close."),
    ("{name} wrote a thank-you card because", "the present had been very generous."),
    ("{name} set off early because", "the traffic is heavy on friday afternoons."),
    ("{name} bought a warmer sleeping bag because", "the camping trip was in the mountains."),
]
_TEST_PAIRS = 40


def continuations(n: int, seed: int = 0, split: str = "train", num_choices: int = 4) -> ChoiceExamples:
    """SWAG-like questions: a context, ``num_choices`` endings, one of which follows from it.

    The distractors are endings of *other* contexts from the same split, so each one is fluent
    on its own; only the link between context and ending tells them apart. The position of the
    right ending is uniform over the choices.
    """
    _check(n, split)
    pairs = _CONTINUATIONS[:-_TEST_PAIRS] if split == "train" else _CONTINUATIONS[-_TEST_PAIRS:]
    check_integer("num_choices", num_choices, 2, len(pairs), why=f"the {split} split has {len(pairs)} endings")
    rng = _rng(seed, split, "continuations")
    contexts, endings, labels = [], [], []
    for _ in range(n):
        index = rng.randrange(len(pairs))
        context, right = pairs[index]
        wrong = [pairs[j][1] for j in rng.sample([j for j in range(len(pairs)) if j != index], num_choices - 1)]
        label = rng.randrange(num_choices)
        options = wrong[:label] + [right] + wrong[label:]
        contexts.append(context.format(name=rng.choice(NAMES).capitalize()))
        endings.append(options)
        labels.append(label)
    return ChoiceExamples(contexts, endings, labels)


# --------------------------------------------------------------------------------------------
# Tokenization
# --------------------------------------------------------------------------------------------


def _check_max_length(max_length, smallest: int) -> None:
    check_integer("max_length", max_length, smallest, why="[CLS] and [SEP] (and [SEP] between a pair) take "
                  "positions too, so fewer leave no room for text")


def encode(examples: Examples, tokenizer, max_length: int = 32, label_dtype: torch.dtype | None = None) -> dict:
    """Tokenize to padded tensors: ``input_ids``, ``token_type_ids``, ``attention_mask``, ``labels``.

    Pairs go in as (first, second), so the second sentence gets token type 1. Label dtype follows
    the problem type's convention unless given: int64 class ids, float scores, float multi-hot.
    """
    if not hasattr(examples, "texts") or not hasattr(examples, "labels"):
        raise TypeError(f"encode takes an Examples object (texts and labels, e.g. sentiment(100)), got "
                        f"{type(examples).__name__}; for your own texts: Examples(texts, labels)")
    if len(examples) == 0:
        raise ValueError("no examples to encode")
    pair = isinstance(examples.texts[0], tuple)
    _check_max_length(max_length, 4 if pair else 3)
    if not callable(tokenizer):
        raise TypeError(f"tokenizer must be a tokenizer (e.g. course_lib.models.pretrained.load_tokenizer()), got "
                        f"{type(tokenizer).__name__}")
    text = next((x for x in examples.labels if isinstance(x, str)), None)
    if text is not None:
        raise ValueError(
            f"labels must be class ids (int), scores (float) or multi-hot lists, got the string {text!r}: map "
            "the names to ids first, e.g. [label_names.index(name) for name in labels]"
        )
    if pair:
        first, second = zip(*examples.texts)
        batch = tokenizer(list(first), list(second), padding="max_length", truncation=True,
                          max_length=max_length, return_tensors="pt")
    else:
        batch = tokenizer(list(examples.texts), padding="max_length", truncation=True,
                          max_length=max_length, return_tensors="pt")
    if label_dtype is None:
        label_dtype = torch.float32 if isinstance(examples.labels[0], (float, list)) else torch.long
    batch = dict(batch)
    batch["labels"] = torch.tensor(examples.labels, dtype=label_dtype)
    return batch


def encode_choices(examples: ChoiceExamples, tokenizer, max_length: int = 32) -> dict:
    """Tokenize every (context, ending) pair and stack them to ``[num_questions, num_choices, max_length]``
    tensors, the input ``BertForMultipleChoice`` expects; ``labels`` is ``[num_questions]``."""
    if len(examples) == 0:
        raise ValueError("no examples to encode")
    _check_max_length(max_length, 4)
    num_choices = len(examples.endings[0])
    if any(len(e) != num_choices for e in examples.endings):
        raise ValueError("every question must have the same number of endings to stack them into one tensor")
    first = [c for c in examples.contexts for _ in range(num_choices)]
    second = [e for endings in examples.endings for e in endings]
    flat = tokenizer(first, second, padding="max_length", truncation=True, max_length=max_length,
                     return_tensors="pt")
    batch = {k: v.view(len(examples), num_choices, max_length) for k, v in flat.items()}
    batch["labels"] = torch.tensor(examples.labels, dtype=torch.long)
    return batch


# --------------------------------------------------------------------------------------------
# Comparisons: multiple choice that needs context and ending read together
# --------------------------------------------------------------------------------------------

# (comparative, its opposite). The last four pairs are reserved for the test split.
COMPARATIVES = [
    ("older", "younger"), ("taller", "shorter"), ("heavier", "lighter"), ("faster", "slower"),
    ("richer", "poorer"), ("stronger", "weaker"), ("louder", "quieter"), ("happier", "sadder"),
    ("kinder", "crueler"), ("wiser", "sillier"), ("busier", "lazier"), ("braver", "shyer"),
    ("bigger", "smaller"), ("calmer", "angrier"), ("cleaner", "dirtier"), ("warmer", "colder"),
]
_TEST_COMPARATIVES = 4
_TEST_NAMES = 5


def comparisons(n: int, seed: int = 0, split: str = "train", num_choices: int = 4) -> ChoiceExamples:
    """Multiple-choice questions whose endings all reuse the context's words: only the order of the
    names and the choice of word decide.

    The context states one comparison, ``"Anna is older than Ben."``; the right ending states the same
    fact from the other side, ``"Ben is younger than Anna."``. The wrong endings swap the roles
    (``"Anna is younger than Ben."``), repeat the context's word with the roles swapped
    (``"Ben is older than Anna."``) or bring in a person the context does not mention
    (``"Carla is younger than Anna."``, ``"Ben is younger than Carla."``); ``num_choices - 1`` of these
    four are drawn. A sentence-embedding similarity cannot tell most of them apart (the same words in
    another order), a model that reads context and ending together can learn to.

    ``split="test"`` uses four comparative pairs (:data:`COMPARATIVES`, the last four) and five names
    that ``"train"`` never uses, besides the training names. The right ending's position is uniform.
    """
    _check(n, split)
    check_integer("num_choices", num_choices, 2, 5, why="one right ending, up to four wrong kinds")
    pairs = COMPARATIVES[:-_TEST_COMPARATIVES] if split == "train" else COMPARATIVES[-_TEST_COMPARATIVES:]
    names = NAMES[:-_TEST_NAMES] if split == "train" else NAMES
    rng = _rng(seed, split, "comparisons")
    contexts, endings, labels = [], [], []
    for _ in range(n):
        word, other = rng.choice(pairs)
        if rng.random() < 0.5:
            word, other = other, word
        a, b, c = (x.capitalize() for x in rng.sample(names, 3))
        wrong = [f"{a} is {other} than {b}.", f"{b} is {word} than {a}.",
                 f"{c} is {other} than {a}.", f"{b} is {other} than {c}."]
        wrong = rng.sample(wrong, num_choices - 1)
        label = rng.randrange(num_choices)
        contexts.append(f"{a} is {word} than {b}.")
        endings.append(wrong[:label] + [f"{b} is {other} than {a}."] + wrong[label:])
        labels.append(label)
    return ChoiceExamples(contexts, endings, labels)


__all__ += ["COMPARATIVES", "comparisons"]
