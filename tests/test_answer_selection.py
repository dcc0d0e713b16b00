"""Answer selection on the real seed index with the real model: the entity rule, short answers and
their offsets, follow-up questions, language detection, and the fitting script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from qa.answer import resolve
from qa.answer.entities import of_question
from qa.answer.kinds import expected_kind
from qa.evaluate import evaluate
from qa.lang import is_english

EVAL = ROOT / "eval"


def _quoted(answer) -> str:
    return " ".join(q.text for q in answer.sentences)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def open_assistant(seed_settings, embedder):
    """The seed index with the "not found" gate open: for tests of resolution, entities and spans,
    not of the gate's calibration (which the negatives, dialogues and the fitting script test)."""
    from dataclasses import replace

    from qa.pipeline import Assistant

    return Assistant(replace(seed_settings, min_confidence=0.0), embedder)


# --- the entity asked about must be the entity answered ---------------------------------------

@pytest.mark.parametrize("question, names", [
    ("Chỉ số PAPI năm 2021 của tỉnh Lạng Sơn xếp thứ mấy?", ("PAPI", "Lạng Sơn")),
    ("Tỉnh Sơn La xếp thứ bao nhiêu về Chỉ số cải cách hành chính năm 2021?", ("PAR Index", "Sơn La")),
    ("What was Cao Bang's PAR Index rank in 2021?", ("PAR Index", "Cao Bằng")),
    # the sentence names 2022 too, but gives the index for 2021 ("(PAPI) tỉnh Hà Nam năm 2021 …")
    ("Chỉ số PAPI năm 2022 của Hà Nam đạt bao nhiêu điểm?", ("PAPI", "Hà Nam", "2022")),
    # the day of Lạng Sơn's meeting is in no Bắc Kạn article
    ("Ai chủ trì hội nghị Ban Thường vụ Tỉnh ủy Bắc Kạn ngày 20/4/2021?", ("Bắc Kạn", "ngày 20/4/2021")),
])
def test_another_provinces_figure_is_not_an_answer(open_assistant, question, names):
    answer = open_assistant.ask(question)  # the entity rule refuses it, whatever the gate says
    assert not answer.found, answer.answer
    assert not answer.citations and answer.related, "the closest passages are related reading, not citations"
    for name in names:
        assert name in answer.answer
    assert answer.to_json()["related"] and answer.to_json()["citations"] == []


def test_a_day_asked_about_is_named_by_the_article_not_by_every_passage(open_assistant):
    from dataclasses import replace

    from qa.answer.entities import missing
    from qa.records import Article, Metadata

    named = of_question("Hội nghị ngày 24/03/2022 do ai chủ trì?")
    assert [(e.kind, e.keys) for e in named] == [("day", ("24/3/2022",))]
    later = Article("a", "a.txt", "Ngày 24/3, hội nghị họp. Đồng chí A chủ trì.", Metadata(date="2022-03-25"))
    assert missing(named, later, later.text) == []  # "Ngày 24/3" in a 2022 article
    assert missing(named, replace(later, text="Ngày 24/3/2021, hội nghị họp."), "Ngày 24/3/2021, hội nghị họp.")
    on_the_day = Article("b", "b.txt", "Sáng nay hội nghị họp.", Metadata(date="2022-03-24"))
    assert missing(named, on_the_day, on_the_day.text) == []  # published that day
    # the meeting's chair is in a later sentence than its date
    answer = open_assistant.ask("Ai chủ trì hội nghị Ban Thường vụ Tỉnh ủy Lạng Sơn ngày 20/4/2021?")
    assert answer.found and answer.short_answer and answer.short_answer.text == "Lâm Thị Phương Thanh", answer.answer


def test_the_same_figure_for_the_province_asked_is_answered(assistant):
    answer = assistant.ask("Chỉ số PAPI năm 2021 của Hà Nam đạt bao nhiêu điểm?")
    assert answer.found
    assert "43,285" in _quoted(answer)
    assert all("Hà Nam" in (c.province or "") for c in answer.citations)


def test_post_2025_province_name_reaches_the_merged_provinces_article(assistant):
    answer = assistant.ask("Chỉ số PAR Index năm 2021 của Ninh Bình xếp thứ mấy?")  # Hà Nam is part of Ninh Bình
    assert answer.found and "60/63" in _quoted(answer)


def test_plausible_unanswerable_seed_questions_are_refused(seed_settings, embedder):
    report = evaluate(EVAL / "seed_negatives.jsonl", seed_settings, embedder=embedder)
    m = report.metrics(report.results)
    assert m["n"] >= 45
    assert m["refused"] >= 85, report.table()  # 90 % is the target; 85 leaves three flips of margin


def test_an_exact_code_beats_its_near_duplicates(tmp_path, embedder):
    """50 near-identical articles each holding one code: the one with the asked code answers."""
    from dataclasses import replace

    from qa import pipeline
    from qa.config import Settings

    folder = tmp_path / "codes"
    folder.mkdir()
    for i in range(50):
        (folder / f"tb{i:02d}.txt").write_text(
            f"Thông báo kết quả kiểm tra hồ sơ số TB-{7100 + i * 7}/KT\n\n"
            f"Trong đợt kiểm tra ngày {i % 28 + 1}/5/2021, hồ sơ mang mã TB-{7100 + i * 7}/KT của đơn vị "
            f"đạt {60 + i} điểm. Đơn vị cần hoàn thiện báo cáo trước ngày 30/6/2021.\n",
            encoding="utf-8")
    settings = replace(Settings.from_env(), index_dir=str(tmp_path / "index"))
    pipeline.ingest([folder], settings, embedder=embedder)
    assistant = pipeline.Assistant(settings, embedder)
    for i in (3, 27, 44):
        answer = assistant.ask(f"Hồ sơ mã TB-{7100 + i * 7}/KT đạt bao nhiêu điểm?")
        assert answer.found, answer.answer
        assert f"TB-{7100 + i * 7}/KT" in answer.citations[0].text
        assert f"{60 + i} điểm" in _quoted(answer)


def test_a_sentence_about_another_year_does_not_answer(tmp_path, embedder):
    """A 2022 article reporting the 2021 figure: asked for 2022 it is not an answer, for 2021 it is."""
    from dataclasses import replace

    from qa import pipeline
    from qa.config import Settings

    folder = tmp_path / "years"
    folder.mkdir()
    (folder / "qt.txt").write_text(
        "Quảng Trị công bố chỉ số hài lòng của người dân\n\nNgày 12/4/2022, UBND tỉnh Quảng Trị tổ chức hội "
        "nghị công bố kết quả khảo sát. Năm 2021, chỉ số hài lòng của người dân tỉnh Quảng Trị đạt 84,7 %, "
        "tăng 3 bậc. Hội nghị giao các sở, ngành xây dựng kế hoạch khắc phục hạn chế.\n", encoding="utf-8")
    settings = replace(Settings.from_env(), index_dir=str(tmp_path / "index"))
    pipeline.ingest([folder], settings, embedder=embedder)
    assistant = pipeline.Assistant(settings, embedder)
    asked = assistant.ask("Năm 2021 chỉ số hài lòng của người dân tỉnh Quảng Trị đạt bao nhiêu?")
    assert asked.found and "84,7" in _quoted(asked), asked.answer
    other = assistant.ask("Năm 2022 chỉ số hài lòng của người dân tỉnh Quảng Trị đạt bao nhiêu?")
    assert not (other.found and "84,7" in _quoted(other)), other.answer


# --- short answer and sentences: exact offsets -------------------------------------------------

def test_short_answer_is_the_name_the_question_phrase_describes():
    from qa.answer import spans

    # "Giám đốc Sở Tài chính" as a phrase describes the first name; the second name merely stands
    # nearer to single shared words ("Sở", "chính"): the nearest-word rule picked it
    text = ("Phạm Minh Đức, Ủy viên Ban Thường vụ Tỉnh ủy, Giám đốc Sở Tài chính, trao quyết định cho "
            "Lê Thị Hoa, chuyên viên Sở.")
    question = {"giam": 1.2, "doc": 1.0, "so": 0.4, "tai": 0.8, "chinh": 0.5}
    pairs = {"giam_doc", "doc_so", "so_tai", "tai_chinh"}
    a, b = spans.choose("person", text, question, pairs)
    assert text[a:b] == "Phạm Minh Đức"


def test_a_cited_documents_own_date_answers_only_when_it_was_issued():
    from qa.answer import spans

    # the date right after a document's number is when it was issued; a question about when something
    # happened gets the event's date, one asking when the document was issued (or signed) gets its own
    text = ("Hội nghị Ban Thường vụ cho ý kiến về báo cáo tổng kết Nghị quyết số 12-NQ/TU, ngày 5/3/2016 "
            "của Tỉnh ủy, được tổ chức ngày 14/9/2022 tại Cao Bằng.")
    event = {"hoi": 1.0, "nghi": 1.0, "tong": 0.8, "ket": 0.8, "12-nq/tu": 3.0}
    a, b = spans.choose("date", text, event)
    assert text[a:b] == "ngày 14/9/2022"
    for issued in ({**event, "ban": 1.0, "hanh": 1.0}, {**event, "issued": 2.0}):
        a, b = spans.choose("date", text, issued)
        assert text[a:b] == "ngày 5/3/2016"


def test_a_date_in_a_cited_documents_subject_is_no_events_and_the_dateline_is():
    from qa.answer import assemble, select, spans
    from qa.records import Article

    # "đến năm 2020" belongs to the resolution's subject; what the meeting reviewed happened on the day
    # the article's lead opens with
    text = ("Hội nghị Ban Thường vụ Tỉnh ủy Cao Bằng\n\nSáng 14/9/2022, Ban Thường vụ Tỉnh ủy Cao Bằng tổ chức "
            "hội nghị kỳ thứ 12. Đồng chí Trần Hồng Minh chủ trì.\n\nHội nghị đã xem xét báo cáo sơ kết Nghị "
            "quyết số 05-NQ/TU, ngày 2/3/2016 của Tỉnh ủy về phát triển du lịch đến năm 2020.\n")
    article = Article("a", "a.txt", text)
    start = text.index("Hội nghị đã")
    end = text.index("2020.") + 5
    question = select.QuestionTerms({"xem": 2.0, "xet": 2.0, "05-nq/tu": 3.0, "so": 1.0, "ket": 1.0}, frozenset())
    assert spans.choose("date", text[start:end], question.weights) is None
    short = assemble.short_answer("date", start, end, article, question)
    assert short is not None and text[short.start:short.end] == short.text == "14/9/2022"


def test_a_place_is_not_a_person():
    from qa.answer import spans

    # a capitalised run headed by, or right after, an administrative unit or a river is a place
    text = ("Tỉnh ký thỏa thuận với Quận HamPyeong, nạo vét sông Kinh Thủy ở huyện Thanh Liêm; "
            "ông Trương Quốc Huy chủ trì.")
    found = [text[c.start:c.end] for c in spans.candidates("person", text)]
    assert found == ["Trương Quốc Huy"], found


def test_a_headline_in_capitals_and_a_named_place_are_no_person():
    from qa.answer import spans

    # a run mostly of words in capitals is a headline; one acronym alone ("UNESCO") is still a name
    # (of a body, not a person); a name after "khu đô thị", "đường", or listed after a place, is a place
    text = ("QUYẾT TÂM THỰC HIỆN THẮNG LỢI NGHỊ QUYẾT ĐẠI HỘI TỈNH LẠNG SƠN. Bà Lâm Thị Phương Thanh chủ trì, "
            "cùng UNESCO, bàn về Khu đô thị Bắc Châu Giang và đường Trần Hưng Đạo, các xã Đinh Xá và Trịnh Xá.")
    assert "UNESCO" in [text[a:b] for a, b in spans.name_runs(text)]
    found = [text[c.start:c.end] for c in spans.candidates("person", text)]
    assert found == ["Lâm Thị Phương Thanh"], found


def test_a_figure_of_a_listed_year_is_the_one_for_the_year_asked():
    from qa.answer import entities, spans

    # one sentence lists a figure per year: the span nearest the asked year's mention answers for it
    text = ("Chỉ số CCHC cấp tỉnh được cải thiện, năm 2016 xếp thứ 60/63 tỉnh, thành phố; năm 2017 xếp thứ "
            "49/63 tỉnh, thành phố; năm 2019 xếp thứ 55/63 tỉnh, thành phố.")
    question = {"chi": 0.5, "so": 0.5, "xep": 1.0, "thu": 1.0, "nam": 0.3}
    for year, rank in (("2019", "55/63"), ("2016", "60/63"), ("2017", "49/63")):
        asked = of_question(f"Năm {year} xếp thứ mấy?")
        a, b = spans.choose("number", text, {**question, year: 2.0}, {"xep_thu"}, entities.of_asked(text, asked))
        assert text[a:b] == rank, (year, text[a:b])


@pytest.mark.parametrize("text, index, years", [
    ("Hội nghị nghe báo cáo Chỉ số SIPAS của tỉnh năm 2020 và đề ra giải pháp cho năm 2023.", "SIPAS", {"2020"}),
    ("Năm 2021, chỉ số PCI của tỉnh tăng 3 bậc.", "PCI", {"2021"}),
    # a list of years after a comma gives no one year to the index
    ("Chỉ số CCHC cấp tỉnh được cải thiện, năm 2016 xếp thứ 60/63; năm 2017 xếp thứ 49/63.", "PAR Index", set()),
])
def test_the_year_an_index_is_given_for(text, index, years):
    from qa.answer.entities import index_years

    assert index_years(text, frozenset({index})) == years


def test_a_figure_after_another_index_is_not_the_asked_index():
    from qa.answer import entities, spans

    # one sentence gives two indices' figures: a question about one gets the figures after its mention
    text = ("Năm 2022, Chỉ số Cải cách hành chính (PAR Index) tụt 9 bậc so với năm 2021, xếp thứ 41/63; "
            "Chỉ số PAPI năm 2022 tụt 6 bậc, đạt 42,1 điểm.")
    for question, index, want in (("Chỉ số PAPI năm 2022 của tỉnh tụt bao nhiêu bậc?", "papi", "6"),
                                  ("Chỉ số PAR Index năm 2022 của tỉnh tụt bao nhiêu bậc?", "par", "9")):
        named = of_question(question)
        weights = {"tut": 2.0, "bac": 1.5, "2022": 1.0, "chi": 0.3, "so": 0.3, index: 2.0}
        a, b = spans.choose("number", text, weights, {"chi_so"}, entities.of_asked(text, named),
                            entities.context_words(named))
        assert text[a:b] == want, (question, text[a:b])


def test_the_document_a_question_names_does_not_place_its_answer():
    from qa.answer import entities, spans

    # "08-NQ/TU" says which passage; the figure asked is the one beside "mục tiêu cụ thể", not the
    # one right after the document's number
    text = "Nghị quyết 08-NQ/TU đề ra 02 mục tiêu chung và 07 mục tiêu cụ thể."
    named = of_question("Nghị quyết 08-NQ/TU đề ra bao nhiêu mục tiêu cụ thể?")
    weights = {"nghi": 0.3, "quyet": 0.5, "08-nq/tu": 3.5, "8": 3.0, "nq": 1.7, "de": 0.8, "ra": 0.5,
               "muc": 1.0, "tieu": 1.0, "cu": 1.5, "the": 1.2}
    pairs = {"nghi_quyet", "quyet_08-nq/tu", "08-nq/tu_de", "de_ra", "muc_tieu", "tieu_cu", "cu_the"}
    a, b = spans.choose("number", text, weights, pairs, None, entities.context_words(named))
    assert text[a:b] == "07"


def test_an_index_written_with_an_abbreviated_long_form_is_that_index():
    from qa.answer.entities import missing
    from qa.records import Article

    # "chỉ số CCHC" is "chỉ số cải cách hành chính", the PAR Index, as articles often write it
    article = Article("a", "a.txt", "Năm 2019 chỉ số CCHC cấp tỉnh xếp thứ 55/63.")
    assert missing(of_question("Năm 2019 chỉ số PAR Index xếp thứ mấy?"), article, article.text) == []
    assert [e.name for e in missing(of_question("Năm 2019 chỉ số PAPI xếp thứ mấy?"), article, article.text)] == ["PAPI"]


def test_people_listed_together_are_all_people():
    from qa.answer import spans

    # people listed together, and a full name listed after a place, are people
    text = "Dự họp có ông Nguyễn Văn An và Trần Thị Bình; đại diện huyện Lý Nhân, Hoàng Văn Cường, Phó Chủ tịch."
    found = [text[c.start:c.end] for c in spans.candidates("person", text)]
    assert found == ["Nguyễn Văn An", "Trần Thị Bình", "Hoàng Văn Cường"], found


def test_a_period_or_a_document_number_is_no_quantity():
    from qa.answer import spans

    text = "Giai đoạn 2021 – 2025 (Nghị quyết 08-NQ/TU), năm 2021 có thêm 10 xã đạt chuẩn, 65,5% số hộ."
    assert [text[c.start:c.end] for c in spans.candidates("number", text)] == ["10", "65,5%"]


def test_a_deputy_is_not_the_office_holder_asked_about():
    from qa.answer import spans

    # "Phó Giám đốc Sở" is another office than "Giám đốc Sở": the name right before it is not the answer,
    # the one two words from the bare title is; asked about the deputy, the deputy is the answer
    text = ("Dự hội nghị có ông Trần Văn Nam, Tỉnh ủy viên, Giám đốc Sở Y tế; bà Hoàng Thị Mai, "
            "Phó Giám đốc Sở Y tế và các chuyên viên.")
    question = {"giam": 1.2, "doc": 1.0, "so": 0.4, "y": 0.6, "te": 0.6}
    pairs = {"giam_doc", "doc_so", "so_y", "y_te"}
    a, b = spans.choose("person", text, question, pairs)
    assert text[a:b] == "Trần Văn Nam"
    a, b = spans.choose("person", text, {**question, "pho": 1.5}, pairs | {"pho_giam"})
    assert text[a:b] == "Hoàng Thị Mai"


@pytest.mark.parametrize("question, english, holder", [
    ("Ai là Chủ tịch UBND tỉnh Cao Bằng?", False, ["Trần Thị Bình"]),
    ("Chủ tịch HĐND tỉnh Sơn La là ai?", False, ["Lê Thị Cúc"]),
    ("Ai là Chủ tịch HĐND tỉnh Lạng Sơn?", False, []),  # the office, but another province's
    ("Ai là Phó Bí thư Huyện ủy Mai Sơn?", False, ["Nguyễn Văn An"]),
    ("Ai là Bí thư Huyện ủy?", False, []),  # a deputy is not the secretary
    ("Who is the chairman of the provincial People's Committee?", True, ["Trần Thị Bình"]),
    ("Who is the chairwoman of Son La People's Council?", True, ["Lê Thị Cúc"]),
])
def test_the_answer_holds_the_office_asked_about(question, english, holder):
    from qa.answer import assemble, offices

    # a person's offices follow the name between commas, or stand right before it
    text = ("Dự hội nghị có đồng chí Nguyễn Văn An, Phó Bí thư Huyện ủy, Chủ tịch UBND huyện; Chủ tịch UBND tỉnh "
            "Trần Thị Bình phát biểu; bà Lê Thị Cúc, Chủ tịch HĐND tỉnh Sơn La và các đại biểu.")
    office = assemble.asked_office("person", question, english)
    assert office is not None
    assert [text[a:b] for a, b in offices.holders(text, *office)] == holder


def test_a_question_about_no_state_office_is_left_to_the_ordinary_short_answer():
    from qa.answer import assemble

    assert assemble.asked_office("person", "Ai là chủ tịch của tập đoàn Apple?", False) is None
    assert assemble.asked_office("person", "Ai là Chủ tịch UBND tỉnh Hà Nam?", False) is not None
    assert assemble.asked_office("number", "Chủ tịch UBND tỉnh Hà Nam chỉ đạo mấy nội dung?", False) is None


def test_no_holder_of_the_office_asked_is_not_found_naming_it(open_assistant):
    answer = open_assistant.ask("Ai là Chủ tịch HĐND tỉnh Sơn La?")  # a district chairman is listed in Sơn La's article
    assert not answer.found and "Chủ tịch HĐND tỉnh Sơn La" in answer.answer, answer.answer
    # the glossary's "Party Secretary" is the province's; of a district it is the district's
    answer = open_assistant.ask("Who is the Party Secretary of Thanh Liem district?")
    assert not answer.found and "bí thư huyện ủy" in answer.answer, answer.answer
    answer = open_assistant.ask("Ai là Chủ tịch HĐND tỉnh Hà Nam?")  # the secretary holds it too
    assert answer.found and answer.short_answer and answer.short_answer.text == "Lê Thị Thủy", answer.answer


@pytest.mark.parametrize("question, kind, short", [
    ("Ai là Chủ tịch UBND tỉnh Hà Nam?", "person", "Trương Quốc Huy"),
    ("Chỉ số PAR Index năm 2021 của Hà Nam xếp thứ mấy?", "number", "60/63"),
    ("Nghị quyết 17-NQ/TU của Tỉnh ủy Hà Nam ban hành ngày nào?", "date", "15/9/2021"),
    # the unit asked ("quận nào") over another unit's place; a document asked "số mấy"
    ("Hà Nam ký thỏa thuận đưa người lao động đi làm việc thời vụ với quận nào của Hàn Quốc?", "place", "HamPyeong"),
    ("Nghị quyết về chuyển đổi số của tỉnh Hà Nam là nghị quyết số mấy?", "document", "24-NQ/TU"),
    # one sentence gives both indices' figures, the year's figure among several years', the meeting's dateline
    ("Chỉ số PAPI năm 2021 của Hà Nam tụt bao nhiêu bậc?", "number", "4"),
    ("Chỉ số PAR Index năm 2021 của Hà Nam tụt bao nhiêu bậc?", "number", "17"),
    ("Tỉnh Bắc Kạn xếp thứ mấy về chỉ số PAR Index năm 2019?", "number", "55/63"),
    ("Ban Thường vụ Tỉnh ủy Lạng Sơn xem xét Nghị quyết 57-NQ/TU vào ngày nào?", "date", "20/4/2021"),
])
def test_short_answer_is_a_span_of_the_expected_kind(open_assistant, question, kind, short):
    answer = open_assistant.ask(question)
    assert answer.found and answer.answer_type == kind
    assert answer.short_answer is not None and answer.short_answer.text.split()[-len(short.split()):] == short.split(), \
        answer.answer
    assert answer.answer.startswith(answer.short_answer.text)


@pytest.mark.parametrize("question, english", [
    ("Which resolution on digital transformation did Ha Nam's provincial Party committee issue?", True),
    ("Nghị quyết nào của Tỉnh ủy Hà Nam về chuyển đổi số?", False),
])
def test_a_document_question_is_answered_by_a_sentence_citing_one(open_assistant, question, english):
    """A capitalised name ("PAR INDEX") is no document: before, it gave the sentence listing the indices
    the kind feature of a document answer and put it first for the English question."""
    answer = open_assistant.ask(question)
    assert answer.found and answer.answer_type == "document" and answer.short_answer is not None
    assert answer.short_answer.text == "24-NQ/TU" and "24-NQ/TU" in answer.sentences[0].text, answer.answer


@pytest.mark.parametrize("question, kind", [
    ("And which directive's five-year review did it approve?", "Chỉ thị"), ("Which resolution on it?", "Nghị quyết"),
    ("Kết luận nào được triển khai?", "Kết luận"), ("nghi quyet so may?", "Nghị quyết"),
    ("Văn bản nào quy định việc này?", None), ("Ai chủ trì hội nghị?", None),
])
def test_the_kind_of_document_a_question_asks_for(question, kind):
    from qa import register

    assert register.asked_kind(question) == kind


@pytest.mark.parametrize("question, asked", [
    ("Kết luận nào được triển khai?", ["ket luan"]), ("which conclusion did it review?", ["conclusion"]),
    ("Nghị quyết số mấy?", ["nghi quyet"]), ("Còn nghị quyết giai đoạn 2016-2020 thì sao?", []),
])
def test_the_document_kind_words_a_question_asks_with(question, asked):
    """The words the follow-up rule reads as asking which document (not speaking of another one) are
    the ones asked_kind reads the kind from: one definition for both."""
    from qa import register
    from qa.text import fold

    folded = fold(question)
    assert [folded[a:b] for a, b in register.asked_kind_words(folded)] == asked


@pytest.mark.parametrize("question, earlier", [
    ("And which directive's five-year review did it approve?",
     "When did Lang Son's provincial Standing Committee review Resolution 57-NQ/TU?"),
    ("Chỉ thị nào được sơ kết 5 năm tại hội nghị đó?", "Ban Thường vụ Tỉnh ủy Lạng Sơn xem xét Nghị quyết 57-NQ/TU vào ngày nào?"),
])
def test_a_follow_up_asking_for_another_kind_of_document_is_answered_by_one(open_assistant, question, earlier):
    """The resolution the earlier turn named is the meeting's context: the answer's article must cite
    it, its passage need not (before, only the one passage citing it qualified), and the directive asked
    for is a directive's number, not the resolution's."""
    answer = open_assistant.ask(question, history=[earlier])
    assert "57-NQ/TU" in answer.resolved_question
    assert answer.found and answer.short_answer is not None and answer.short_answer.text == "03-CT/TU", answer.answer


def test_short_answer_and_sentences_point_exactly_into_the_article(assistant):
    questions = [r["question"] for r in _jsonl(EVAL / "seed_questions.jsonl")]
    checked = 0
    for question in questions:
        payload = assistant.ask(question).to_json()
        for item in payload["sentences"] + ([payload["short_answer"]] if payload["short_answer"] else []):
            text = assistant.article(item["article_id"]).text
            assert text[item["start"]:item["end"]] == item["text"]
            checked += 1
        for s in payload["sentences"]:
            c = payload["citations"][s["n"] - 1]
            assert c["article_id"] == s["article_id"] and c["start"] <= s["start"] < s["end"] <= c["end"]
    assert checked >= len(questions)


# --- follow-up questions ----------------------------------------------------------------------

def test_follow_up_replaces_the_province_and_answers_about_it(open_assistant):
    first = "Ai là Bí thư Tỉnh ủy Lạng Sơn?"
    answer = open_assistant.ask("Còn Sơn La thì sao?", history=[first])
    assert answer.resolved_question == "Ai là Bí thư Tỉnh ủy Sơn La?"
    assert answer.found and all(c.province == "Sơn La" for c in answer.citations), answer.citations


def test_follow_up_short_answer_names_the_office_holder_asked_about(open_assistant):
    # the seed lists "X, ..., Bí thư Tỉnh ủy, ...; Y, Phó Bí thư ...": the Bí thư is X, not the
    # deputy whose own title shares the words; the short answer must be a name in the quoted sentence
    answer = open_assistant.ask("Còn Sơn La thì sao?", history=["Ai là Bí thư Tỉnh ủy Lạng Sơn?"])
    assert answer.found and answer.short_answer is not None, answer.answer
    quote = " ".join(q.text for q in answer.sentences)
    holder = quote.split(", Bí thư Tỉnh ủy")[0].split(":")[-1].split(",")[0].strip()
    assert answer.short_answer.text == holder, (answer.short_answer, quote)


def test_follow_up_to_an_unanswerable_province_says_not_found(assistant):
    answer = assistant.ask("Còn Lạng Sơn thì sao?", history=["Chỉ số PAPI năm 2021 của Hà Nam đạt bao nhiêu điểm?"])
    assert "Lạng Sơn" in answer.resolved_question and "PAPI" in answer.resolved_question
    assert not answer.found and "Lạng Sơn" in answer.answer


def test_self_contained_question_after_another_is_left_as_it_is():
    question = "Ai là Bí thư Tỉnh ủy Lạng Sơn?"
    assert resolve(question, ["Chỉ số PAPI năm 2021 của Hà Nam đạt bao nhiêu điểm?"]) == question


@pytest.mark.parametrize("question, earlier, carried", [
    ("Kết luận nào được triển khai tại hội nghị?", "Ai chủ trì hội nghị đánh giá Nghị quyết 03-NQ/TU của Sơn La?", True),
    ("And which conclusion did the conference implement?", "When was Resolution 03-NQ/TU of Son La issued?", True),
    ("Còn nghị quyết giai đoạn 2016-2020 ban hành ngày nào?", "Nghị quyết 08-NQ/TU của Bắc Kạn ban hành ngày nào?", False),
])
def test_a_follow_up_asking_which_document_keeps_the_earlier_one(question, earlier, carried):
    """ "Kết luận nào…" asks which document it is: the earlier document is still the context. A
    document spoken of ("nghị quyết giai đoạn 2016-2020") is another one, and the earlier is dropped."""
    number = [e.surface for e in of_question(earlier) if e.kind == "document"][0]
    resolved = resolve(question, [earlier])
    assert (number in resolved) is carried, resolved
    assert resolved.startswith(resolve(question, []).rstrip("?"))  # without its linking "And"/"Còn"


@pytest.mark.parametrize("question, earlier, resolved", [
    # the noun's phrase in the earlier question, to its last name, number or date (the predicate after it stays out)
    ("Dự án đó có tổng vốn bao nhiêu?", "Dự án cao tốc Đồng Đăng - Trà Lĩnh khởi công khi nào?",
     "Dự án cao tốc Đồng Đăng - Trà Lĩnh có tổng vốn bao nhiêu?"),
    ("Kỳ họp này diễn ra ở đâu?", "Kỳ họp thứ 7 HĐND tỉnh Sơn La khai mạc ngày nào?",
     "Kỳ họp thứ 7 HĐND tỉnh Sơn La diễn ra ở đâu?"),
    ("hoi nghi do ban gi", "ai chu tri hoi nghi tong ket ngay 20/4/2021",
     "hoi nghi tong ket ngay 20/4/2021 ban gi"),
    ("How many items did that conference discuss?", "Who chaired the Bac Kan Standing Committee conference on 22/4/2021?",
     "How many items did the Bac Kan Standing Committee conference on 22/4/2021 discuss?"),
    # nothing names the thing, or "đó" is no demonstrative of a noun: left as it is
    ("Hội nghị đó bàn gì?", "Ai chủ trì hội nghị tổng kết?", "Hội nghị đó bàn gì?"),
    ("Trong đó có bao nhiêu xã?", "Huyện Chi Lăng có bao nhiêu thôn?", "Trong đó có bao nhiêu xã?"),
])
def test_that_noun_takes_its_phrase_from_the_earlier_question(question, earlier, resolved):
    assert resolve(question, [earlier]) == resolved


@pytest.mark.parametrize("question, earlier, resolved", [
    # "Còn <phrase>?" replaces the earlier question's phrase of the same head noun, up to where it goes on
    ("Còn tỷ lệ hộ cận nghèo?", "Tỷ lệ hộ nghèo của Bắc Kạn năm 2020 là bao nhiêu?",
     "Tỷ lệ hộ cận nghèo của Bắc Kạn năm 2020 là bao nhiêu?"),
    ("Còn dự án đường vành đai thì sao?", "Dự án cầu Phủ Lý có tổng vốn bao nhiêu tỷ đồng?",
     "Dự án đường vành đai có tổng vốn bao nhiêu tỷ đồng?"),
    # no phrase of that head before, or a question of its own: the earlier entities are carried instead
    ("Còn thu ngân sách thì sao?", "Năm 2021 Lạng Sơn phấn đấu tăng trưởng GRDP bao nhiêu?",
     "Thu ngân sách thì sao (Lạng Sơn, 2021)?"),
    ("And who is the Party Secretary there?", "Who is the chairman of Ha Nam People's Committee?",
     "Who is the Party Secretary in Ha Nam?"),
])
def test_a_follow_up_phrase_replaces_the_earlier_phrase_of_its_head(question, earlier, resolved):
    assert resolve(question, [earlier]) == resolved


@pytest.mark.parametrize("question, resolved", [
    ("Còn ai là Chủ tịch UBND tỉnh Hà Nam?", "Ai là Chủ tịch UBND tỉnh Hà Nam?"),
    ("Vậy còn ai chủ trì hội nghị?", "Ai chủ trì hội nghị?"),
    ("con ai la chu tich ubnd tinh ha nam", "Ai la chu tich ubnd tinh ha nam"),
    ("And who chaired the conference?", "Who chaired the conference?"),
    # "còn" that is a word of the question, "Thế"/"Con" that begin a name or a classifier
    ("Còn bao nhiêu xã chưa đạt chuẩn nông thôn mới?", "Còn bao nhiêu xã chưa đạt chuẩn nông thôn mới?"),
    ("Thế Canh tân diễn ra trong kỷ nào?", "Thế Canh tân diễn ra trong kỷ nào?"),
    ("con song nao chay qua thanh pho", "con song nao chay qua thanh pho"),
])
def test_a_word_linking_the_question_to_the_chat_is_no_part_of_it(question, resolved):
    assert resolve(question, []) == resolved


def test_a_linking_word_does_not_change_the_answer(assistant):
    """ "Còn"/"And" before a whole question is no word a passage must hold (before, the gate read it as
    the question's rarest word and refused: 0.04 for "Còn ai là Bí thư Tỉnh ủy Sơn La?" against 0.86)."""
    for linked, plain in (("Còn ai là Bí thư Tỉnh ủy Sơn La?", "Ai là Bí thư Tỉnh ủy Sơn La?"),
                          ("And who is the Party Secretary of Son La?", "Who is the Party Secretary of Son La?")):
        a, b = assistant.ask(linked).to_json(), assistant.ask(plain).to_json()
        assert b["found"] and {**a, "question": plain} == b, (a["confidence"], b["confidence"])


def test_dialogues_resolve_and_answer(assistant):
    """The project's 14 dialogues (42 turns), turn by turn. The target is 5 of 6 dialogues resolved and
    answered; measured 0.5.4 and 0.5.5, 2026-12-04: 14 of 14 resolved at every turn, 13 of 14 also answered at
    every turn (d11's "Which session number was that meeting?" quotes the wrong sentence). The floors are what
    holds now, so a regression in resolution or answering fails."""
    from qa.text import fold

    dialogues = _jsonl(EVAL / "dialogues.jsonl")
    resolved_all = answered_all = 0
    for d in dialogues:
        history: list[str] = []
        resolved_ok = answered_ok = True
        for turn in d["turns"]:
            answer = assistant.ask(turn["question"], history=history)
            history.append(turn["question"])
            resolved_ok &= all(fold(x) in fold(answer.resolved_question) for x in turn["resolved_contains"])
            if turn["answerable"]:
                quoted = _quoted(answer) + (answer.short_answer.text if answer.short_answer else "")
                answered_ok &= answer.found and all(x in quoted for x in turn["answer_contains"])
            else:
                answered_ok &= not answer.found
        resolved_all += resolved_ok
        answered_all += resolved_ok and answered_ok
    assert len(dialogues) >= 10
    assert resolved_all >= 14 and answered_all >= 13, (resolved_all, answered_all)


def test_follow_up_through_the_cli_batch_mode(seed_settings):
    env = {**__import__("os").environ, "QA_INDEX_DIR": seed_settings.index_dir}
    lines = "\n".join([
        "Ai là Bí thư Tỉnh ủy Lạng Sơn?",
        json.dumps({"question": "Còn Sơn La thì sao?", "history": ["Ai là Bí thư Tỉnh ujy Lạng Sơn?".replace("ujy", "ủy")]},
                   ensure_ascii=False),
        '{"question": 3}',
    ]) + "\n"
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "--json"], input=lines, capture_output=True,
                         text=True, env=env, timeout=180)
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r.get("resolved_question") for r in rows[:2]] == ["Ai là Bí thư Tỉnh ủy Lạng Sơn?", "Ai là Bí thư Tỉnh ủy Sơn La?"]
    assert "error" in rows[2] and out.returncode == 1


def test_follow_up_through_the_http_api(server):
    import httpx

    r = httpx.post(server.url + "/api/ask", json={"question": "Năm 2019 thì sao?",
                                                 "history": ["Năm 2017 Bắc Kạn xếp hạng chỉ số CCHC thứ mấy?"]},
                   timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["resolved_question"] == "Năm 2019 Bắc Kạn xếp hạng chỉ số CCHC thứ mấy?"
    assert {"short_answer", "sentences", "related", "found"} <= set(body)


# --- understanding the question ---------------------------------------------------------------

def test_english_is_told_from_vietnamese_on_the_visible_sets():
    vi = [r["question"] for r in _jsonl(EVAL / "xquad_vi" / "questions.jsonl")]
    en = [r["question"] for r in _jsonl(EVAL / "xquad_en_vi" / "questions.jsonl")]
    from qa.text import fold

    assert sum(is_english(q) for q in vi) <= 6
    assert sum(is_english(fold(q)) for q in vi) <= 8  # typed without diacritics
    assert sum(not is_english(q) for q in en) <= 3
    assert is_english("Who is the Party Secretary of Lạng Sơn province?")


@pytest.mark.parametrize("question, english, kind", [
    ("Ai chủ trì hội nghị?", False, "person"), ("ai chu tri hoi nghi", False, "person"),
    ("Tỉnh thành nào tụt 17 bậc?", False, "place"), ("Địa phương nào đứng cuối?", False, "place"),
    ("Nghị quyết được ban hành khi nào?", False, "date"), ("Có bao nhiêu xã đạt chuẩn?", False, "number"),
    ("Văn bản nào quy định việc này?", False, "document"), ("Cơ quan nào chủ trì?", False, "organisation"),
    ("Vì sao chỉ số giảm?", False, "sentence"), ("Which provinces fell in the ranking?", True, "place"),
    ("When was the resolution issued?", True, "date"), ("How many communes met the standard?", True, "number"),
    # a quantity noun heading what follows "what is": a number; a name, or a noun after a preposition, not
    ("What was Warsaw's population in 1901?", True, "number"), ("What is the average household size?", True, "number"),
    ("What is the name of the area near the campus?", True, "sentence"),
    ("What is the area called near the gorge?", True, "sentence"),
    ("What is the main reason for the high cost?", True, "sentence"),
    ("Which session number was that meeting?", True, "number"),
    ("What state budget revenue target did the province set?", True, "sentence"),
    ("Which city council approved the plan?", True, "sentence"), ("What river runs alongside the city?", True, "place"),
    # the head of a noun phrase asked with "nào", a few words before it; a kind noun right before "nào" first
    ("Nhà thơ người Đức nào là hậu duệ của người Huguenot?", False, "person"),
    ("Lãnh đạo nào chủ trì hội nghị?", False, "person"), ("Đảng chính trị nào thắng cử?", False, "organisation"),
    ("Người dân tỉnh nào được hỗ trợ?", False, "place"), ("Quốc gia phương Tây nào ủng hộ?", False, "place"),
    # inside a question a kind noun may be a verb's ("tổ chức") or a subject's: not read as the head
    ("Sở Nội vụ tổ chức hội nghị nào?", False, "sentence"), ("Ban Thường vụ họp kỳ nào?", False, "sentence"),
    ("What actress performed the anthem?", True, "person"), ("What Panther defender was injured?", True, "person"),
    ("What general budget was approved?", True, "sentence"),
    ("Which People's Committee approved the plan?", True, "sentence"),
])
def test_expected_kind_from_question_words(question, english, kind):
    assert expected_kind(question, english) == kind


def test_entities_of_a_question():
    kinds = {(e.kind, e.name) for e in of_question("Nghị quyết 17-NQ/TU năm 2021 của Hà Nam về PAPI?")}
    assert kinds == {("document", "17-NQ/TU"), ("year", "năm 2021"), ("province", "tỉnh Hà Nam"), ("index", "PAPI")}
    # a year compared with is no year asked about: the figure is given for the year before it
    compared = of_question("Chỉ số PCI năm 2022 tăng mấy bậc so với năm 2021?") + of_question("Did it rise compared with 2019?")
    assert [(e.kind, e.name) for e in compared if e.kind != "index"] == [
        ("year", "năm 2022"), ("compared", "năm 2021"), ("compared", "năm 2019")]


def test_a_year_that_bounds_a_period_is_not_that_year():
    from qa.answer.entities import missing
    from qa.records import Article

    period = Article("a", "a.txt", "Kết quả giai đoạn 2016 – 2020: hoàn thành 12 chỉ tiêu.")
    single = Article("b", "b.txt", "Năm 2020, tỉnh hoàn thành 12 chỉ tiêu.")
    asked = of_question("Năm 2020 tỉnh hoàn thành bao nhiêu chỉ tiêu?")
    assert [e.name for e in missing(asked, period, period.text)] == ["năm 2020"]
    assert missing(asked, single, single.text) == []
    # a question that names the period itself is answered from it
    assert missing(of_question("Giai đoạn 2016 - 2020 hoàn thành bao nhiêu chỉ tiêu?"), period, period.text) == []


@pytest.mark.parametrize("question, year", [("Năm 2021 Lạng Sơn xây dựng nông thôn mới thế nào?", 2021)])
def test_a_sentence_naming_only_a_period_answers_only_for_its_years(open_assistant, question, year):
    """"giai đoạn 2011 – 2020" does not answer for 2021: before, a period's bounds were no year of the
    sentence's own, so the text around it decided and the 2011–2020 sentence was quoted beside the answer."""
    from qa.answer.entities import periods, single_years

    answer = open_assistant.ask(question)
    assert answer.found and answer.sentences
    for quote in answer.sentences:
        if periods(quote.text) and not single_years(quote.text):
            assert any(a <= year <= b for a, b in periods(quote.text)), quote.text


def test_countries_a_question_names():
    """A country (CLDR's Vietnamese names, two syllables or more) is an entity; a nationality ("người Ấn
    Độ nổi tiếng nào") and the articles' own country are not."""
    def countries(question):
        return [e.name for e in of_question(question) if e.kind == "country"]

    assert countries("Hà Nam ký thỏa thuận với quận nào của Nhật Bản?") == ["Nhật Bản"]
    assert countries("Lạng Sơn hợp tác với Trung Quốc và Hàn Quốc ra sao?") == ["Trung Quốc", "Hàn Quốc"]
    assert countries("Người Ấn Độ nổi tiếng nào đã nhận tội?") == []
    assert countries("Việt Nam có bao nhiêu tỉnh sau sáp nhập?") == []


@pytest.mark.parametrize("question, country, found", [
    ("Hà Nam đưa lao động sang Đài Loan làm việc thời vụ ở quận nào?", "Đài Loan", False),
    ("Hà Nam đưa lao động sang Hàn Quốc làm việc thời vụ ở quận nào?", "Hàn Quốc", True),
])
def test_an_answer_comes_from_an_article_naming_the_country_asked(open_assistant, question, country, found):
    """The seeds' seasonal-work agreement is with a district of Hàn Quốc: asked about another country it
    is not the answer (before, it was given for any country), and "not found" names that country."""
    answer = open_assistant.ask(question)
    assert answer.found is found, answer.answer
    if found:
        assert answer.short_answer is not None and "HamPyeong" in answer.short_answer.text
    else:
        assert country in answer.answer and answer.related and not answer.citations


def test_a_document_named_by_kind_and_number_is_found_written_with_so():
    """"Nghị quyết 57" (or "NQ 57") in a question is the article's "Nghị quyết số 57": before, only the
    words as typed counted, so the passage that reviews it did not qualify and "not found" came back."""
    from qa.answer.entities import missing
    from qa.records import Article

    article = Article("a", "a.txt", "Sau 8 năm thực hiện Nghị quyết số 57 về cải cách hành chính, 7 chỉ tiêu đều đạt.")
    other = Article("b", "b.txt", "Sau 8 năm thực hiện Nghị quyết số 58 về cải cách hành chính, 7 chỉ tiêu đều đạt.")
    for question in ("Nghị quyết 57 đạt bao nhiêu chỉ tiêu?", "NQ 57 đạt bao nhiêu chỉ tiêu?"):
        asked = of_question(question)
        assert missing(asked, article, article.text) == []
        assert [e.kind for e in missing(asked, other, other.text)] == ["document"]
    assert [e.kind for e in missing(of_question("Chỉ thị 57 đạt bao nhiêu chỉ tiêu?"), article, article.text)] == ["document"]


# --- the weights come from a script ------------------------------------------------------------

def test_fitting_script_runs_on_a_small_split_and_writes_weights(tmp_path):
    out = tmp_path / "weights.json"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_answers.py"), "--limit", "16", "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    fitted = json.loads(out.read_text(encoding="utf-8"))
    assert set(fitted["sentence"]) == {"vi", "en"} and set(fitted["gate"]) >= {"vi", "en"}
    assert len(fitted["sentence"]["vi"]["full"]) == len(fitted["features"])
    assert "Reported on B" in run.stdout
