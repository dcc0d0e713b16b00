"""Bad and hostile input end to end: every file gets a clean verdict, every question a clean answer or error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa import pipeline
from qa.chunk import chunk_article
from qa.errors import InputError
from qa.ingest import load_article
from qa.records import Article


def test_ten_megabyte_single_line_is_refused_and_a_long_line_is_ingested(hash_settings, tmp_path):
    big = tmp_path / "một dòng.txt"
    big.write_text("Tỉnh Hà Nam cải cách hành chính " * 330_000, encoding="utf-8")  # ~10 MB, no newline
    report = pipeline.ingest([big], hash_settings)  # over the default 5 MB limit: refused with the reason
    assert report.added == [] and len(report.refused) == 1 and "MB" in report.refused[0].reason
    line = tmp_path / "dài.txt"
    line.write_text("Năm 2021 tỉnh Hà Nam xếp thứ 60/63 về cải cách hành chính, " * 750, encoding="utf-8")
    report = pipeline.ingest([line], hash_settings)  # ~45,000 characters on one line: chunked like any text
    assert len(report.added) == 1 and report.chunks_added > 60
    longer = tmp_path / "dài hơn.txt"
    longer.write_text("Năm 2021 tỉnh Hà Nam xếp thứ 60/63 về cải cách hành chính, " * 17_000, encoding="utf-8")
    report = pipeline.ingest([longer], hash_settings)  # ~1 MB of text: over the article length limit
    assert report.added == [] and "QA_MAX_ARTICLE_CHARS" in report.refused[0].reason


def test_symlink_leaving_the_folder_is_not_followed(hash_settings, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("Bí mật ngoài thư mục: mã số 424242 của tỉnh Lạng Sơn năm 2021.", encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    os.symlink(outside, folder / "link.txt")
    report = pipeline.ingest([folder], hash_settings)
    assert report.added == [] and len(report.refused) == 1 and "link" in report.refused[0].reason


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4000))
def test_random_bytes_never_crash_ingestion(tmp_path, data):
    path = tmp_path / "fuzz.txt"
    path.write_bytes(data)
    try:
        article = load_article(path, 1 << 20)
    except InputError as exc:
        assert str(exc).startswith("fuzz.txt:")
    else:
        assert article.text and article.id


@settings(max_examples=80, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạỳ .,;:!?…\n-/0123456789")),
                    min_size=1, max_size=3000),
       size=st.integers(min_value=100, max_value=1200))
def test_chunk_offsets_always_point_at_their_text(text, size):
    article = Article("0" * 16, "x.txt", text)
    for c in chunk_article(article, size, size // 7):
        assert text[c.start : c.end] == c.text and c.text.strip()


@pytest.mark.parametrize("question", [
    "Hà Nam\x00\x07 xếp thứ mấy\x1b[31m?",
    "<script>alert(1)</script> Hà Nam xếp thứ mấy?",
    "'; DROP TABLE chunks; -- Hà Nam",
    "SELECT * FROM articles WHERE 1=1",
    "{{7*7}} ${jndi:ldap://x} %s%s%n",
])
def test_hostile_questions_get_answers_not_errors(assistant, question):
    import re

    db = assistant.reader().db
    before = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "chunks", "files")]
    answer = assistant.ask(question)
    assert isinstance(answer.answer, str) and answer.answer
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", answer.answer)  # control characters never come back
    assert "<script>" not in answer.answer and "{{7*7}}" not in answer.answer  # the question is not echoed
    if "Hà Nam" in question:  # the words around the junk still find Hà Nam's article
        shown = answer.citations or answer.related  # answered, or "not found" with the closest passages
        assert shown and any(c.province == "Hà Nam" for c in shown)
    db = assistant.reader().db
    after = [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("articles", "chunks", "files")]
    assert after == before and after[0] == 5  # the SQL-looking text changed nothing in the store


@pytest.mark.parametrize("question", ["", " \t\n ", "?!?!...", "\x00\x01\x02", "x" * 100_000])
def test_unusable_questions_are_refused_with_a_sentence(assistant, question):
    with pytest.raises(InputError) as err:
        assistant.ask(question)
    assert str(err.value).endswith(".") and "\n" not in str(err.value)


def test_unreadable_file_is_refused_and_the_rest_ingested(hash_settings, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_88f03a1fd3c72d70.txt", folder)
    os.symlink(folder / "does-not-exist.txt", folder / "hỏng.txt")  # a dangling link cannot be read, even by root
    report = pipeline.ingest([folder], hash_settings)
    assert len(report.added) == 1 and len(report.refused) == 1 and "hỏng.txt" in report.refused[0].reason


# -- time bounds: every hostile shape of benchmarks/hostile_inputs.py through the real `qa ingest` --

sys.path.insert(0, str(ROOT / "benchmarks"))
from hostile_inputs import SHAPES, SIZES  # noqa: E402  (one definition of the shapes: the benchmark's)

QA = [sys.executable, "-m", "qa.cli"]


def qa_ingest(paths, index, timeout, **env):
    """`qa ingest --quiet` in a fresh process; the plumbing embedder keeps the model out of the clock
    (embedding time grows with the number of passages, which QA_MAX_ARTICLE_CHARS bounds)."""
    full = {**os.environ, "QA_INDEX_DIR": str(index), "QA_EMBEDDER": "hash", **env}
    return subprocess.run(QA + ["ingest", "--quiet", *map(str, paths)], capture_output=True, text=True,
                          env=full, timeout=timeout)


def _shape_file(tmp_path, shape, size):
    suffix, make = SHAPES[shape]
    path = tmp_path / f"{shape}{suffix}"
    path.write_text(make(SIZES[size]), encoding="utf-8")
    return path


def _verdict_in_time(tmp_path, shape, size, bound):
    path = _shape_file(tmp_path, shape, size)
    start = time.perf_counter()
    out = qa_ingest([path], tmp_path / "index", timeout=bound)  # TimeoutExpired fails the test
    seconds = time.perf_counter() - start
    assert "Traceback" not in out.stderr and "unexpected" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    if out.returncode == 0:
        assert "1 added" in lines[-1], out.stderr
    else:
        assert out.returncode == 1 and lines[0].startswith("refused: ") and len(lines) == 2, out.stderr
    return seconds


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_hostile_shape_of_40_kb_is_ingested_or_refused_in_time(tmp_path, shape):
    """40 KB is close to the largest text accepted as one article: about the most work one file can cause."""
    assert _verdict_in_time(tmp_path, shape, "40K", bound=30) < 30


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_hostile_shape_of_4_9_mb_is_ingested_or_refused_in_time(tmp_path, shape):
    assert _verdict_in_time(tmp_path, shape, "4.9M", bound=49) < 49


def test_a_fifo_is_refused_instead_of_blocking_the_ingest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_88f03a1fd3c72d70.txt", folder / "bài.txt")
    os.mkfifo(folder / "ống.txt")  # nobody ever writes to it: reading it would wait forever
    out = qa_ingest([folder, folder / "ống.txt"], tmp_path / "index", timeout=60)
    refused = [line for line in out.stderr.splitlines() if line.startswith("refused:")]
    assert out.returncode == 1 and len(refused) == 2 and all("FIFO" in line for line in refused), out.stderr
    assert "1 added" in out.stderr


def test_a_loop_of_links_is_refused_and_the_rest_of_the_batch_ingested(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_88f03a1fd3c72d70.txt", folder / "bài.txt")
    os.symlink(folder / "b.txt", folder / "a.txt")
    os.symlink(folder / "a.txt", folder / "b.txt")
    os.symlink(tmp_path / "self.txt", tmp_path / "self.txt")
    out = qa_ingest([folder, tmp_path / "self.txt"], tmp_path / "index", timeout=120)
    refused = [line for line in out.stderr.splitlines() if line.startswith("refused:")]
    assert out.returncode == 1 and len(refused) == 3 and all("loop" in line for line in refused), out.stderr
    assert "1 added" in out.stderr and "unexpected" not in out.stderr


def test_hidden_files_in_a_folder_are_refused_with_a_line_and_ingested_when_named(tmp_path):
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    shutil.copy(SEEDS / "000_88f03a1fd3c72d70.txt", folder / "..txt")
    shutil.copy(SEEDS / "001_02cd78e828767b57.txt", folder / ".txt")
    shutil.copy(SEEDS / "002_1e67a61f8ae727bb.txt", folder / ".git" / "notes.txt")  # tooling, not searched
    out = qa_ingest([folder], tmp_path / "index", timeout=120)
    refused = sorted(line for line in out.stderr.splitlines() if line.startswith("refused:"))
    assert out.returncode == 1 and len(refused) == 2 and all("hidden file" in line for line in refused), out.stderr
    named = qa_ingest([folder / "..txt", folder / ".txt"], tmp_path / "index", timeout=120)
    assert named.returncode == 0 and "2 added" in named.stderr, named.stderr


def test_invisible_characters_inside_words_do_not_hide_them(hash_settings, tmp_path):
    from qa.pipeline import Assistant

    hidden = ["\u200e", "\u200f", "\u034f", "\ufe0f", "\u202e", "\u2066", "\u180e", "\u2063", "\u2800", "\u202a"]
    words = [f"C{mark}ốc{i}" for i, mark in enumerate(hidden)]
    body = f"Tỉnh Hà Nam khánh thành {' '.join(words)} vào năm 2021 để phục vụ người dân trong tỉnh."
    (tmp_path / "bài.txt").write_text(body, encoding="utf-8")
    report = pipeline.ingest([tmp_path / "bài.txt"], hash_settings)
    assert len(report.added) == 1
    assistant = Assistant(hash_settings)
    (article,) = assistant.reader().articles()
    assert not any(mark in article.text for mark in hidden)
    for i in range(len(hidden)):
        hits = assistant.search(f"C\u200eốc{i}")  # hidden characters in the question too
        assert hits and f"Cốc{i}" in hits[0].chunk.text
        assert article.text[hits[0].chunk.start:hits[0].chunk.end] == hits[0].chunk.text
