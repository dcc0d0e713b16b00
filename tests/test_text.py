import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from qa.text import fold, has_diacritics, modern_tones, normalize, sentence_spans, tokens


@given(st.text())
def test_normalize_is_idempotent(s):
    assert normalize(normalize(s)) == normalize(s)


def test_normalize_composes_decomposed_vietnamese():
    nfd = unicodedata.normalize("NFD", "Tỉnh Hà Nam tụt 17 bậc")
    assert nfd != "Tỉnh Hà Nam tụt 17 bậc"
    assert normalize(nfd) == "Tỉnh Hà Nam tụt 17 bậc"


def test_fold_strips_diacritics_and_d():
    assert fold("Tỉnh nào TỤT 17 bậc? Đảng") == "tinh nao tut 17 bac? dang"
    assert not has_diacritics("tinh nao tut 17 bac")
    assert has_diacritics("tỉnh nào")


def test_document_numbers_and_rankings_are_whole_and_split():
    toks = tokens("Nghị quyết số 57-NQ/TU xếp thứ 60/63, đạt 43,285 điểm; 61/2018/NĐ-CP")
    for whole in ("57-nq/tu", "60/63", "43,285", "61/2018/nđ-cp"):
        assert whole in toks
    for part in ("57", "nq", "tu", "60", "63", "61", "2018", "nđ", "cp"):
        assert part in toks


def test_one_letter_syllables_are_kept():
    assert tokens("ở ý kiến") == ["ở", "ý", "kiến"]


def test_leading_zeros_do_not_matter():
    assert "2" in tokens("02/08") and "8" in tokens("02/08")
    assert tokens("07") == tokens("7")


def test_old_and_new_tone_placement_match():
    assert modern_tones("thuỷ") == "thủy"
    assert tokens("Tỉnh uỷ Hoà Bình") == tokens("Tỉnh ủy Hòa Bình")
    assert modern_tones("quả") == "quả"  # "qu" + a is not the "ua" diphthong


@given(st.text(alphabet=st.sampled_from(list("abc ăâđ .!?\n,;:ÀẠ12")), max_size=200))
def test_sentence_spans_lie_inside_the_text(s):
    for a, b in sentence_spans(s):
        assert 0 <= a < b <= len(s)
        assert s[a:b] == s[a:b].strip()


def test_a_semicolon_does_not_end_a_sentence():
    # Vietnamese lists people or items with ";" inside one sentence: "A, Bí thư; B, Phó Bí thư, chủ trì."
    s = "Ngày 2/3, các đồng chí: Trần An, Bí thư; Lê Bình, Phó Bí thư đã chủ trì. Hội nghị bế mạc."
    assert [s[a:b] for a, b in sentence_spans(s)] == [s[:s.index(" Hội")], "Hội nghị bế mạc."]


def test_display_date():
    from qa.text import display_date

    assert display_date("2021-04-20") == "20/04/2021"
    assert display_date("--06-22") == "22/06"
    assert display_date(None) == ""
