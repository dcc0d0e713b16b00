"""The register of cited documents: extraction on real sentences, the store kept consistent through
re-ingest, replacement and removal, `qa docs`, and retrieval putting the cited passages first."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from conftest import SEEDS

from qa import pipeline, register
from qa.errors import IndexMismatch, InputError
from qa.ingest import load_article
from qa.pipeline import Assistant
from qa.store import IndexReader

# (sentence, [(number, kind, date, issuer, subject prefix)]) — sentences as articles write them.
SENTENCES = [
    (
        "Ban cán sự đảng UBND tỉnh về việc ban hành báo cáo tổng kết thực hiện Nghị quyết số 57-NQ/TU, ngày 18/1/2013 "
        "của Ban Thường vụ Tỉnh ủy về tăng cường sự lãnh đạo của Đảng đối với công tác cải cách hành chính tỉnh. Sau đó",
        [
            (
                "57-NQ/TU",
                "Nghị quyết",
                "2013-01-18",
                "Ban Thường vụ Tỉnh ủy",
                "tăng cường sự lãnh đạo của Đảng đối với công tác cải cách hành chính tỉnh",
            )
        ],
    ),
    (
        "UBND tỉnh ban hành Kế hoạch số 12/KH-UBND ngày 12 tháng 3 năm 2021 về triển khai chuyển đổi số; các sở thực hiện.",
        [("12/KH-UBND", "Kế hoạch", "2021-03-12", "UBND", "triển khai chuyển đổi số")],
    ),
    (
        "Thực hiện Nghị định 15/2020/NĐ-CP của Chính phủ quy định xử phạt vi phạm hành chính.",
        [("15/2020/NĐ-CP", "Nghị định", None, "Chính phủ", None)],
    ),
    (
        "theo Quyết định số 456-QĐ/TU và 457-QĐ/TU, ngày 2/11/2016 của Ban Thường vụ Tỉnh uỷ). Đồng thời, hội nghị",
        [
            ("456-QĐ/TU", "Quyết định", "2016-11-02", "Ban Thường vụ Tỉnh uỷ", None),  # said of both
            ("457-QĐ/TU", "Quyết định", "2016-11-02", "Ban Thường vụ Tỉnh uỷ", None),
        ],
    ),
    (
        "(Nghị quyết số 07-NQ/TU ngày 26 /4/2016). Sau 5 năm thực hiện",
        [("07-NQ/TU", "Nghị quyết", "2016-04-26", "Tỉnh ủy", None)],
    ),
    (
        "Tiếp tục sắp xếp bộ máy theo Nghị quyết số 18-NQ/TW; Nghị quyết số 19-NQ/TW.",
        [("18-NQ/TW", "Nghị quyết", None, "Trung ương", None), ("19-NQ/TW", "Nghị quyết", None, "Trung ương", None)],
    ),
    ("Giấy phép xuất bản số 68/GP-BTTTT do Bộ Thông tin - Truyền thông cấp ngày 16/2/2017", []),
    (
        "Kết luận 436-KL/TU ngày 28/1/2022 của Ban Thường vụ Tỉnh ủy về Đề án “Đẩy mạnh cải cách hành chính trong Đảng”.",
        [("436-KL/TU", "Kết luận", "2022-01-28", "Ban Thường vụ Tỉnh ủy", "Đề án “Đẩy mạnh cải cách hành chính")],
    ),
    (
        "Thông báo kết luận số 245-TB/TU ngày 3/8/2021 của Thường trực Tỉnh ủy; Quy định số 08-QĐi/TW của Bộ Chính trị.",
        [
            ("245-TB/TU", "Thông báo", "2021-08-03", "Thường trực Tỉnh ủy", None),
            ("08-QĐi/TW", "Quy định", None, "Bộ Chính trị", None),
        ],
    ),
    (
        "Công văn số 2345/UBND-KT ngày 5/7/2021 v/v tăng cường phòng chống dịch bệnh trên địa bàn",
        [("2345/UBND-KT", "Công văn", "2021-07-05", "UBND", "tăng cường phòng chống dịch bệnh trên địa bàn")],
    ),
]


@pytest.mark.parametrize("text,expected", SENTENCES, ids=[s[0][:30] for s in SENTENCES])
def test_extraction_of_real_sentences_with_exact_offsets(text, expected):
    found = register.extract(text)
    got = [(m.number, m.kind, m.date, m.issuer) for m in found]
    assert got == [e[:4] for e in expected]
    for m, e in zip(found, expected):
        assert text[m.number_start : m.number_end] == m.number
        assert m.start <= m.number_start < m.number_end <= m.end
        span = text[m.start : m.end]
        if m.kind and text[m.start : m.number_start].strip():
            assert span.lower().startswith(m.kind.lower())
        if e[4] is None:
            assert m.subject is None
        else:
            assert m.subject.startswith(e[4]) and m.subject in span and span.endswith(m.subject)


def test_every_seed_mention_has_exact_offsets_and_the_subject_inside():
    for path in sorted(SEEDS.glob("*.txt")):
        art = load_article(path, 10**7, 10**7)
        for m in register.extract(art.text):
            written = art.text[m.number_start : m.number_end]
            assert written == m.number if not m.short else int(written) == int(m.number.split("-")[0])
            assert m.subject is None or m.subject in art.text[m.start : m.end]
            assert "GP-" not in m.number


def test_a_document_cited_again_by_kind_and_number_alone():
    text = (
        "Tỉnh ủy ban hành Nghị quyết số 57-NQ/TU, ngày 18/1/2013 về cải cách hành chính và Chỉ thị số 57-CT/TU. "
        "Sau 8 năm thực hiện Nghị quyết số 57, 5/7 chỉ tiêu đạt; Chỉ thị 57 cũng hoàn thành. Nghị quyết 20 khác."
    )
    short = [m for m in register.extract(text) if m.short]
    assert [(m.number, m.kind, text[m.start : m.end]) for m in short] == [
        ("57-NQ/TU", "Nghị quyết", "Nghị quyết số 57"),
        ("57-CT/TU", "Chỉ thị", "Chỉ thị 57"),
    ]
    assert all(text[m.number_start : m.number_end] == "57" for m in short)
    # two documents of one kind with the same leading number: "Nghị quyết 15" is not guessed
    two = "Nghị quyết số 15-NQ/TU và Nghị quyết số 15/NQ-HĐND; Nghị quyết 15 đề ra mục tiêu."
    assert not any(m.short for m in register.extract(two))


def test_keys_ignore_case_diacritics_and_spaces():
    assert register.key("15/2020/NĐ-CP") == register.key("15/2020/nd-cp") == "15/2020/ND-CP"
    assert [n.key for n in register.named("nghị quyết 57-nq/tu nói gì")] == ["57-NQ/TU"]
    assert register.named("NQ 57 về cải cách hành chính") == (register.Named(number="57", kind="Nghị quyết"),)
    assert register.named("Tỉnh nào tụt 17 bậc?") == ()


def _article(folder, name, code, extra=""):
    text = (
        f"Tổng kết thực hiện nghị quyết về cải cách hành chính\n\n"
        f"Ngày 20/4/2021, Tỉnh ủy tổ chức hội nghị tổng kết thực hiện Nghị quyết số {code}, ngày 18/1/2013 của "
        f"Ban Thường vụ Tỉnh ủy về tăng cường sự lãnh đạo của Đảng đối với công tác cải cách hành chính. {extra}\n"
    )
    (folder / name).write_text(text, encoding="utf-8")


def _keys(settings):
    reader = IndexReader(settings.index_path)
    return {d.number: d.articles for d in register.documents(reader.db, reader.folder)}


def test_register_follows_reingest_replacement_duplicates_and_removal(hash_settings, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    _article(folder, "a.txt", "57-NQ/TU")
    _article(folder, "b.txt", "436-KL/TU")
    pipeline.ingest([folder], hash_settings)
    assert _keys(hash_settings) == {"57-NQ/TU": 1, "436-KL/TU": 1}
    pipeline.ingest([folder], hash_settings)  # unchanged: nothing counted twice
    assert _keys(hash_settings) == {"57-NQ/TU": 1, "436-KL/TU": 1}
    shutil.copy(folder / "a.txt", folder / "a-copy.txt")  # the same article under two names
    pipeline.ingest([folder], hash_settings)
    assert _keys(hash_settings) == {"57-NQ/TU": 1, "436-KL/TU": 1}
    _article(folder, "b.txt", "58-NQ/TU")  # the file now cites another document: its article is replaced
    pipeline.ingest([folder], hash_settings)
    assert _keys(hash_settings) == {"57-NQ/TU": 1, "58-NQ/TU": 1}
    reader = IndexReader(hash_settings.index_path)
    doc, refs = register.document(reader.db, reader.folder, "58-nq/tu")
    art = reader.article(refs[0].article_id)
    assert art.text[refs[0].number_start : refs[0].number_end] == "58-NQ/TU"
    assert art.text[refs[0].passage["start"] : refs[0].passage["end"]] == refs[0].passage["text"]
    assert doc.kind == "Nghị quyết" and doc.date == "2013-01-18" and doc.issuer == "Ban Thường vụ Tỉnh ủy"
    assert pipeline.remove([refs[0].article_id], hash_settings) == []
    assert _keys(hash_settings) == {"57-NQ/TU": 1}
    with pytest.raises(InputError, match="58-NQ/TU"):
        reader = IndexReader(hash_settings.index_path)
        register.document(reader.db, reader.folder, "58-NQ/TU")


def _current_sqlite(settings):
    return settings.index_path / IndexReader(settings.index_path).manifest["files"]["sqlite"]


def test_index_without_the_register_says_so_and_any_ingest_builds_it(hash_settings, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(next(SEEDS.glob("000_*.txt")), folder)
    pipeline.ingest([folder], hash_settings)
    with sqlite3.connect(_current_sqlite(hash_settings)) as db:  # as an index of version 0.4.0 has it
        db.executescript("DROP TABLE mentions; DROP TABLE register_info;")
    db.close()
    reader = IndexReader(hash_settings.index_path)
    with pytest.raises(IndexMismatch, match="qa ingest"):
        register.documents(reader.db, reader.folder)
    assert register.positions(reader.db, register.named("57-NQ/TU")) == set()  # questions still answered
    report = pipeline.ingest([folder], hash_settings)  # nothing new, but the register is added
    assert report.manifest is not None
    assert "57-NQ/TU" in _keys(hash_settings)


def test_other_rules_version_is_reextracted(hash_settings, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(next(SEEDS.glob("000_*.txt")), folder)
    pipeline.ingest([folder], hash_settings)
    with sqlite3.connect(_current_sqlite(hash_settings)) as db:
        db.execute("DELETE FROM mentions")
        db.execute("UPDATE register_info SET value = 'register/0'")
    db.close()
    pipeline.ingest([folder], hash_settings)
    assert set(_keys(hash_settings)) == {"57-NQ/TU", "03-CT/TU"}


# The near-duplicates differ in the code only; the one citing 58 has more of the question's words.
QUESTION_WORDS = "Nghị quyết đề ra mục tiêu gì về cải cách hành chính, mục tiêu nào được đề ra cho cải cách hành chính."


def test_passages_citing_the_named_number_come_first(hash_settings, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    _article(folder, "a.txt", "57-NQ/TU")
    _article(folder, "b.txt", "58-NQ/TU", QUESTION_WORDS)
    _article(folder, "c.txt", "59-NQ/TU", QUESTION_WORDS + " " + QUESTION_WORDS)
    pipeline.ingest([folder], hash_settings)
    assistant = Assistant(hash_settings)
    for question in (
        "Nghị quyết 57-NQ/TU đề ra mục tiêu gì về cải cách hành chính?",
        "nghi quyet 57-nq/tu de ra muc tieu gi ve cai cach hanh chinh",
        "Nghị quyết 57 đề ra mục tiêu gì về cải cách hành chính?",
    ):
        hits = assistant.search(question, k=3)
        assert "57-NQ/TU" in hits[0].chunk.text, question
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    hits = assistant.search("Nghị quyết nào đề ra mục tiêu về cải cách hành chính?", k=3)  # no number: no change
    assert "59-NQ/TU" in hits[0].chunk.text


def test_first_keeps_the_order_inside_each_group_and_caps_the_rest():
    assert register.first([(1, 0.9), (2, 0.8), (3, 0.5), (4, 0.2)], {3, 4}) == [(3, 0.5), (4, 0.2), (1, 0.2), (2, 0.2)]
    assert register.first([(1, 0.9)], set()) == [(1, 0.9)]
    assert register.first([(1, 0.9)], {7}) == [(1, 0.9)]


QA = [sys.executable, "-m", "qa.cli"]


def _qa(args, settings):
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run(QA + args, capture_output=True, text=True, env=env, timeout=120)


def test_cli_lists_documents_and_shows_one_with_its_passages(hash_settings, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(p, folder)
    pipeline.ingest([folder], hash_settings)
    out = _qa(["docs"], hash_settings)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("57-NQ/TU") and "Nghị quyết" in line and "18/01/2013" in line for line in lines)
    assert any(line.startswith("436-KL/TU") and "Kết luận" in line for line in lines)
    listed = [json.loads(line) for line in _qa(["docs", "--json"], hash_settings).stdout.splitlines()]
    assert {d["number"] for d in listed} >= {"57-NQ/TU", "03-CT/TU", "436-KL/TU", "18-NQ/TW"}
    one = _qa(["docs", "--json", "57-nq/tu"], hash_settings)
    assert one.returncode == 0, one.stderr
    data = json.loads(one.stdout)
    assert data["number"] == "57-NQ/TU" and data["date"] == "2013-01-18" and data["subject"].startswith("tăng cường")
    ref = data["references"][0]
    text = IndexReader(hash_settings.index_path).article(ref["article_id"]).text
    assert (
        text[ref["number_start"] : ref["number_end"]] == "57-NQ/TU" and text[ref["start"] : ref["end"]] == ref["text"]
    )
    shown = _qa(["docs", "436-KL/TU"], hash_settings)
    assert shown.returncode == 0 and "# Kết luận 436-KL/TU" in shown.stdout and "Ban Thường vụ Tỉnh ủy" in shown.stdout
    unknown = _qa(["docs", "999-NQ/TU"], hash_settings)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.count("\n") == 1 and "999-NQ/TU" in unknown.stderr and "Traceback" not in unknown.stderr
