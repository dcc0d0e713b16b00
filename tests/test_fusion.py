import pytest

from qa.retrieve import Query, rrf


def test_rrf_matches_hand_computed_scores():
    fused = dict(rrf({"lexical": [10, 20, 30], "dense": [20, 40]}, {"lexical": 1.0, "dense": 0.5}, k=60))
    assert fused[10] == pytest.approx(1 / 61)
    assert fused[20] == pytest.approx(1 / 62 + 0.5 / 61)
    assert fused[30] == pytest.approx(1 / 63)
    assert fused[40] == pytest.approx(0.5 / 62)


def test_rrf_order_and_ties():
    ranking = rrf({"a": [1, 2], "b": [2, 1]}, {"a": 1.0, "b": 1.0}, k=60)
    assert [d for d, _ in ranking] == [1, 2]  # equal scores: lower position first, deterministic
    assert rrf({"a": [1, 2], "b": [2, 1]}, {"a": 1.0, "b": 1.1}, k=60)[0][0] == 2


def test_zero_weight_retriever_is_ignored():
    assert [d for d, _ in rrf({"a": [1], "b": [2]}, {"a": 1.0, "b": 0.0}, k=60)] == [1]


def test_score_fusion_matches_hand_computed_scores():
    from qa.retrieve import score_fusion

    lexical = {1: 10.0, 2: 5.0}  # floor 0: 1 → 1.0, 2 → 0.5
    dense = {2: 0.9, 3: 0.8, 4: 0.7}  # floor = min: 2 → 1.0, 3 → 0.5, 4 → 0.0
    fused = dict(score_fusion({"lex": lexical, "dense": dense}, {"lex": 1.0, "dense": 0.5}, {"lex": 0.0}))
    assert fused[1] == pytest.approx(1.0)
    assert fused[2] == pytest.approx(0.5 + 0.5)
    assert fused[3] == pytest.approx(0.25)
    assert fused[4] == pytest.approx(0.0)
    ranking = [d for d, _ in score_fusion({"lex": lexical, "dense": dense}, {"lex": 1.0, "dense": 0.5}, {"lex": 0.0})]
    assert ranking == [1, 2, 3, 4]  # ties broken by position


def test_score_fusion_single_candidate_does_not_divide_by_zero():
    from qa.retrieve import score_fusion

    assert score_fusion({"d": {7: 0.8}}, {"d": 1.0}) == [(7, 0.0)]


def test_dense_weight_rises_when_a_question_word_is_unseen(assistant):
    retriever = assistant.retriever()
    s = assistant.settings
    assert retriever.dense_weight(Query.parse("Hà Nam xếp thứ mấy về cải cách hành chính?")) == s.weight_dense
    assert retriever.dense_weight(Query.parse("Hà Nam xếp thứ mấy về Ghandi?")) == s.weight_dense_unseen


def test_an_english_possessive_is_no_word_of_its_own():
    # "Ha Nam's" asks about Hà Nam; a lone "s" is a word no article uses and would weigh the most
    toks = Query.parse("What did Ha Nam's provincial Party committee and the Broncos' coach decide?").tokens
    assert "s" not in toks and {"ha", "nam", "broncos", "coach", "ha_nam"} <= set(toks)
    assert "s" in Query.parse("Điểm s của Hà Nam's là gì?").tokens  # Vietnamese text keeps what was typed
