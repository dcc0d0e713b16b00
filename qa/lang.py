"""Is a question English or Vietnamese? Decided by the shape of its words, not by `isascii`.

A Vietnamese syllable, with or without its diacritics, has one shape: an optional initial
consonant cluster, one to three vowels, and an optional final from a short list ("tinh", "nguyen",
"thuong"). Most English words do not ("which", "province", "fell", "secretary"); the common
English function words that do ("the", "in", "to") are counted as English. A word with a
Vietnamese diacritic is Vietnamese; acronyms (all capitals: "UBND", "PAR") and numbers count for
neither. So "Who is the Party Secretary of Lạng Sơn province?" is English and "tinh nao tut 17 bac"
is Vietnamese typed without diacritics.
"""

from __future__ import annotations

import re

from .text import fold, has_diacritics

_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
                       r"(?:[aeiouy]{1,3})(?:ch|ng|nh|[cmnptiouy])?")
_LETTERS = re.compile(r"[^\W\d_]+")
# Frequent English words that also have the shape of a Vietnamese syllable.
_ENGLISH_SHAPED = frozenset(
    "a an the in on to at by of or as be he she it its me my no so do go up us we you your our they them"
    " then than that this these those there their his her him who whom whose why how what when where which"
    " is are was were been has have had did does done can could would should may might must will shall not"
    " and but if for from with into about after before over under between during per each any all some"
    " many much more most other such only also very new old first last year years city town state"
    " name named".split())


def is_vietnamese_syllable(word: str) -> bool:
    """Whether the word has the shape of a Vietnamese syllable, diacritics or not ("nguyen", "Trung")."""
    return _SYLLABLE.fullmatch(fold(word)) is not None


def _english_word(word: str) -> bool:
    return fold(word) in _ENGLISH_SHAPED or not is_vietnamese_syllable(word)


def is_english(text: str) -> bool:
    """True when most of the question's words are English rather than Vietnamese syllables."""
    english = vietnamese = 0
    for word in _LETTERS.findall(text):
        if len(word) > 1 and word.isupper():
            continue  # an acronym: UBND, PAPI, PAR
        if has_diacritics(word):
            vietnamese += 1
        elif _english_word(word):
            english += 1
        else:
            vietnamese += 1
    return english > vietnamese
