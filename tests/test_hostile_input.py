"""Bad and hostile input end to end: every file gets a clean verdict, every question a clean answer or error."""

from __future__ import annotations

import os

import pytest
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
    line.write_text("Năm 2021 tỉnh Hà Nam xếp thứ 60/63 về cải cách hành chính, " * 3_000, encoding="utf-8")
    report = pipeline.ingest([line], hash_settings)  # ~180,000 characters on one line: chunked like any text
    assert len(report.added) == 1 and report.chunks_added > 250
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
    answer = assistant.ask(question)
    assert isinstance(answer.answer, str) and answer.answer
    assert assistant.reader().manifest["counts"]["articles"] >= 5  # nothing was dropped


@pytest.mark.parametrize("question", ["", " \t\n ", "?!?!...", "\x00\x01\x02", "x" * 100_000])
def test_unusable_questions_are_refused_with_a_sentence(assistant, question):
    with pytest.raises(InputError) as err:
        assistant.ask(question)
    assert str(err.value).endswith(".") and "\n" not in str(err.value)


def test_unreadable_file_is_refused_and_the_rest_ingested(hash_settings, tmp_path):
    import shutil

    from conftest import SEEDS

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_88f03a1fd3c72d70.txt", folder)
    os.symlink(folder / "does-not-exist.txt", folder / "hỏng.txt")  # a dangling link cannot be read, even by root
    report = pipeline.ingest([folder], hash_settings)
    assert len(report.added) == 1 and len(report.refused) == 1 and "hỏng.txt" in report.refused[0].reason
