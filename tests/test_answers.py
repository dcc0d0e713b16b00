"""Questions answered from the real seed index with the real offline model."""

import pytest
from conftest import SEED_QUESTIONS, SHARED_EVAL

from qa.errors import InputError
from qa.evaluate import evaluate
from qa.retrieve import Filters


def test_par_index_question_names_ha_nam_with_the_right_citation(assistant):
    answer = assistant.ask("Tỉnh nào tụt 17 bậc chỉ số PAR Index?")
    assert answer.found
    assert "Hà Nam" in answer.answer
    top = answer.citations[0]
    assert "tụt 17 bậc" in top.text
    assert top.file == "002_1e67a61f8ae727bb.txt" and top.province == "Hà Nam"
    assert "[1]" in answer.answer


def test_citation_offsets_point_into_the_cleaned_article(assistant):
    answer = assistant.ask("Nghị quyết 08-NQ/TU của Bắc Kạn có bao nhiêu mục tiêu chung?")
    for c in answer.citations:
        article = assistant.article(c.article_id)
        assert article.text[c.start : c.end] == c.text
    for n, start, end in answer.highlights:
        c = answer.citations[n - 1]
        assert c.start <= start < end <= c.end


# Quality targets on eval/seed_questions.jsonl (40 questions: 20 vi, 10 vi-nodiac, 10 en). Measured 0.4.0,
# 2026-12-02 (README "Quality"): vi and vi-nodiac R@1 100 with int8 and fp32; en R@1 40 (int8) / 60 (fp32),
# R@5 100, MRR@10 68 / 80. int8 may differ across CPUs (VNNI or not) by a rank here and there, so each target
# leaves room for 2 questions of a group to flip (group sizes >= 10), and the English (cross-lingual) group is
# judged on R@5 and MRR, where int8 and fp32 agree, not on R@1, where they do not.
TARGETS = {"all": {"R@5": 95}, "vi": {"R@1": 80, "answer_hit": 80}, "vi-nodiac": {"R@1": 80, "answer_hit": 80},
           "en": {"R@5": 80, "MRR@10": 50}}


@pytest.fixture(scope="module")
def seed_report(seed_settings, embedder):
    return evaluate(SEED_QUESTIONS, seed_settings, embedder=embedder)


def test_seed_questions_hit_in_top_5(seed_report):
    m = seed_report.metrics(seed_report.results)
    assert m["n"] >= 40 and m["R@5"] >= TARGETS["all"]["R@5"], seed_report.table()


def test_seed_questions_meet_quality_targets_per_language(seed_report):
    groups = seed_report.groups()
    assert set(groups) == set(TARGETS)
    for group, targets in TARGETS.items():
        m = seed_report.metrics(groups[group])
        assert m["n"] >= 10, (group, m["n"])
        for metric, floor in targets.items():
            assert m[metric] >= floor, (group, metric, m[metric], seed_report.table())


@pytest.mark.skipif(not (SHARED_EVAL / "seed_questions.jsonl").is_file(), reason="no ../shared/eval beside the checkout")
def test_shared_seed_questions_hit_in_top_5(seed_settings, embedder):
    # ../shared's questions are extra evaluation data where a checkout has them (a clone does not)
    report = evaluate(SHARED_EVAL / "seed_questions.jsonl", seed_settings, embedder=embedder)
    assert report.metrics(report.results)["R@5"] >= 90, report.table()


@pytest.mark.parametrize("question", ["Giá vàng SJC hôm nay bao nhiêu?", "Who won the 2018 FIFA World Cup?"])
def test_unrelated_questions_say_not_found(assistant, question):
    answer = assistant.ask(question)
    assert not answer.found and not answer.citations
    assert "không" in answer.answer.lower() and answer.related


def test_questions_typed_without_diacritics_find_the_passage(assistant):
    answer = assistant.ask("tinh nao tut 17 bac chi so par index")
    passages = answer.citations or answer.related  # found or not, the passage comes first
    assert "tụt 17 bậc" in passages[0].text


def test_province_filter_restricts_citations(assistant):
    answer = assistant.ask("cải cách hành chính", k=10, filters=Filters(provinces=("Sơn La",)))
    passages = answer.citations or answer.related
    assert passages and {c.province for c in passages} == {"Sơn La"}


def test_new_province_name_reaches_merged_province(assistant):
    # Hà Nam merged into Ninh Bình in 2025: a filter by the new name still finds Hà Nam's articles
    answer = assistant.ask("chỉ số PAR Index", filters=Filters(provinces=("Ninh Bình",)))
    passages = answer.citations or answer.related
    assert passages and all(c.province == "Hà Nam" for c in passages)


@pytest.mark.parametrize("bad", ["", "   ", "?!...", "x" * 100_000])
def test_bad_questions_are_refused_with_one_sentence(assistant, bad):
    with pytest.raises(InputError):
        assistant.ask(bad)


def test_cross_encoder_reranker_reorders_the_fused_candidates(seed_settings, embedder):
    # No trained re-ranker can be downloaded here; the converted e5 directory loads as a CrossEncoder
    # (with an untrained head, initialised once per process). The re-ranked top 5 must be the five of the
    # 20 fused candidates that this cross-encoder scores highest, in its order and with its scores.
    from dataclasses import replace

    from qa.pipeline import Assistant
    from qa.rerank import _load

    question = "Hà Nam xếp thứ mấy về PAPI?"
    plain = Assistant(seed_settings, embedder).search(question, k=20)
    st_dir = str(__import__("pathlib").Path(seed_settings.model_dir) / "st")
    reranked = Assistant(replace(seed_settings, reranker=st_dir, rerank_candidates=20), embedder).search(question, k=5)
    scores = _load(st_dir).predict([(question, h.chunk.text) for h in plain], show_progress_bar=False)
    expected = sorted(zip((h.pos for h in plain), map(float, scores)), key=lambda ps: -ps[1])[:5]
    assert [h.pos for h in reranked] == [p for p, _ in expected]
    assert [h.score for h in reranked] == pytest.approx([s for _, s in expected], abs=1e-5)
    assert [h.pos for h in reranked] != [h.pos for h in plain[:5]]  # it did reorder (20 candidates, random head)


def test_missing_reranker_is_a_clear_error(seed_settings, embedder):
    from dataclasses import replace

    from qa.errors import ModelMissing
    from qa.pipeline import Assistant

    with pytest.raises(ModelMissing, match="re-ranker"):
        Assistant(replace(seed_settings, reranker="/nonexistent/reranker"), embedder).ask("Hà Nam")
