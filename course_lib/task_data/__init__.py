"""Task data: one real data set and small, seeded generated ones.

Real: :mod:`course_lib.task_data.movie_reviews` (``load_movie_reviews()``): Rotten Tomatoes
movie-review sentences with a polarity label and a human valence score, fetched once at set-up.

Generated: small, seeded task data sets, tokenized with the real bert-base-uncased vocabulary.

Each module generates one family of tasks from templates and word lists, so the notebooks can
fine-tune a real encoder in seconds, offline, and get the same data on every run:

- :mod:`course_lib.task_data.classification`: sentiment (2 classes), similarity score
  (regression), multi-label tags, and a SWAG-like "which continuation follows" multiple choice.
- :mod:`course_lib.task_data.ner`: sentences with BIO named-entity tags.
- :mod:`course_lib.task_data.qa`: SQuAD-like extractive questions with character offsets.
- :mod:`course_lib.task_data.corpus`: a small generated corpus for pre-training from scratch.

Each module's docstring says how to swap in the real public data set with ``datasets`` when a
network is available.
"""



def load_movie_reviews(folder=None):
    """The real movie-review splits: see :func:`course_lib.task_data.movie_reviews.load_movie_reviews`."""
    # Imported on call, so `python -m course_lib.task_data.movie_reviews` runs the module only once.
    from .movie_reviews import load_movie_reviews as load

    return load(folder)
