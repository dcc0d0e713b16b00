"""Gazetteer of Vietnam's provinces: the 63 in force before 1 July 2025 and the 34 after it.

The 2025 reorganisation (National Assembly resolution 202/2025/QH15) kept 11 provinces as they
were and merged the other 52 into 23 units. Articles name the old provinces; staff may ask with
the new ones, so `related()` expands any name to every old province of the same new unit.

`find()` matches whole names on diacritic-folded tokens, so "ha nam", "Hà Nam", "tỉnh Hà Nam",
"Hoà Bình" and "Hòa Bình" all count, while "Nam" or "Lào" alone never do. Overlaps are resolved
leftmost-longest. False positives in article text are avoided by a few checks on the original
spelling: the tones must agree when the text carries diacritics ("huệ" is not "Huế"), names that
are also common words ("hòa bình" = peace) must be capitalised or preceded by "tỉnh"/"thành phố",
and a name right after a lower-level place word ("phường Hòa Bình") or a personal name part
("Nguyễn Hòa Bình") is not a province.
"""

from __future__ import annotations

import re
from collections import Counter

from qa.text import fold, has_diacritics, modern_tones

# New unit (after 1 July 2025) → the pre-2025 provinces it is made of, itself first when it keeps
# an old name. Order of keys follows the resolution (north to south).
MERGERS: dict[str, tuple[str, ...]] = {
    "Hà Nội": ("Hà Nội",),
    "Huế": ("Thừa Thiên Huế",),
    "Lai Châu": ("Lai Châu",),
    "Điện Biên": ("Điện Biên",),
    "Sơn La": ("Sơn La",),
    "Lạng Sơn": ("Lạng Sơn",),
    "Quảng Ninh": ("Quảng Ninh",),
    "Thanh Hóa": ("Thanh Hóa",),
    "Nghệ An": ("Nghệ An",),
    "Hà Tĩnh": ("Hà Tĩnh",),
    "Cao Bằng": ("Cao Bằng",),
    "Tuyên Quang": ("Tuyên Quang", "Hà Giang"),
    "Lào Cai": ("Lào Cai", "Yên Bái"),
    "Thái Nguyên": ("Thái Nguyên", "Bắc Kạn"),
    "Phú Thọ": ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình"),
    "Bắc Ninh": ("Bắc Ninh", "Bắc Giang"),
    "Hưng Yên": ("Hưng Yên", "Thái Bình"),
    "Hải Phòng": ("Hải Phòng", "Hải Dương"),
    "Ninh Bình": ("Ninh Bình", "Hà Nam", "Nam Định"),
    "Quảng Trị": ("Quảng Trị", "Quảng Bình"),
    "Đà Nẵng": ("Đà Nẵng", "Quảng Nam"),
    "Quảng Ngãi": ("Quảng Ngãi", "Kon Tum"),
    "Gia Lai": ("Gia Lai", "Bình Định"),
    "Khánh Hòa": ("Khánh Hòa", "Ninh Thuận"),
    "Lâm Đồng": ("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    "Đắk Lắk": ("Đắk Lắk", "Phú Yên"),
    "TP Hồ Chí Minh": ("TP Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"),
    "Đồng Nai": ("Đồng Nai", "Bình Phước"),
    "Tây Ninh": ("Tây Ninh", "Long An"),
    "Cần Thơ": ("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    "Vĩnh Long": ("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    "Đồng Tháp": ("Đồng Tháp", "Tiền Giang"),
    "Cà Mau": ("Cà Mau", "Bạc Liêu"),
    "An Giang": ("An Giang", "Kiên Giang"),
}

OLD_PROVINCES: tuple[str, ...] = tuple(old for olds in MERGERS.values() for old in olds)
NEW_PROVINCES: tuple[str, ...] = tuple(MERGERS)

# Other spellings of an old province (the canonical name and its old-tone form are added
# automatically). "needs a prefix" names are only provinces after "TP"/"thành phố".
_VARIANTS: dict[str, tuple[str, ...]] = {
    "Thừa Thiên Huế": ("Huế", "Thừa Thiên"),
    "TP Hồ Chí Minh": ("Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh", "TP HCM", "TPHCM", "HCMC"),
    "Bà Rịa - Vũng Tàu": ("Bà Rịa Vũng Tàu", "BRVT"),
    "Bắc Kạn": ("Bắc Cạn", "Backan"),
    "Đắk Lắk": ("Đắc Lắc", "Đắk Lắc", "Daklak"),
    "Đắk Nông": ("Đắc Nông", "Daknong"),
    "Kon Tum": ("Kontum",),
    "Thanh Hóa": ("Thanh Hoá",),
}
_NEEDS_PREFIX = {"ho chi minh"}

# Names that are also ordinary words or phrases: lower-case occurrences are not provinces.
_COMMON_WORDS = {"hoa binh", "thai binh", "hai duong", "cao bang", "binh dinh", "phu tho",
                 "vinh phuc", "binh duong", "long an", "hue", "thua thien"}

# Longer historical or place names that contain a province name but are not that province.
_BLOCKERS = ("ha nam ninh", "nghe tinh", "ha son binh", "binh tri thien", "nghia binh")

_PROVINCE_WORDS = {("tinh",), ("thanh", "pho"), ("tp",)}
_LOWER_LEVEL = {"huyện", "xã", "phường", "quận", "thị", "trấn", "đường", "phố", "sông", "cầu",
                "núi", "đèo", "hồ", "thôn", "bản", "làng", "ấp", "chợ", "đảo", "vịnh", "khu",
                "ngõ", "ngách", "hẻm", "tổ", "xóm", "đình", "chùa"}
_NAME_PARTS = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
               "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Văn", "Thị", "Đức", "Hữu", "Đình",
               "Ngọc", "Xuân", "Công", "Mạnh", "Tuấn", "Trọng"}

_WORD = re.compile(r"\w+")


def _key(name: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(name)))


def _tones(text: str) -> str:
    return " ".join(modern_tones(w) for w in _WORD.findall(text.lower()))


def _build() -> tuple[dict[tuple[str, ...], tuple[str | None, str]], dict[tuple[str, ...], str]]:
    aliases: dict[tuple[str, ...], tuple[str | None, str]] = {}
    lookup: dict[tuple[str, ...], str] = {}
    for old in OLD_PROVINCES:
        for spelling in (old, *_VARIANTS.get(old, ())):
            aliases[_key(spelling)] = (old, _tones(spelling))
            lookup[_key(spelling)] = old
    aliases[_key("Hồ Chí Minh")] = ("TP Hồ Chí Minh", _tones("Hồ Chí Minh"))
    for blocker in _BLOCKERS:
        aliases[tuple(blocker.split())] = (None, "")
    return aliases, lookup


_ALIASES, _OLD_LOOKUP = _build()
_MAX_LEN = max(len(k) for k in _ALIASES)
_NEW_OF_OLD = {old: new for new, olds in MERGERS.items() for old in olds}
_NEW_LOOKUP = {_key(new): new for new in MERGERS}
_NEW_LOOKUP[_key("Thành phố Hồ Chí Minh")] = "TP Hồ Chí Minh"
_NEW_LOOKUP[_key("Hồ Chí Minh")] = "TP Hồ Chí Minh"
_NEW_LOOKUP[_key("Thành phố Huế")] = "Huế"
_NEW_LOOKUP[_key("TP Huế")] = "Huế"


def _strip_prefix(key: tuple[str, ...]) -> tuple[str, ...]:
    for prefix in sorted(_PROVINCE_WORDS, key=len, reverse=True):
        if key[: len(prefix)] == prefix and len(key) > len(prefix):
            return key[len(prefix):]
    return key


def _accept(words: list[tuple[str, str]], i: int, n: int, key: tuple[str, ...], tones: str,
            text_lower: bool, text_folded: bool) -> bool:
    """Whether the tokens words[i:i+n] (original, folded) are really the province `key`."""
    original = [w for w, _ in words[i:i + n]]
    span_has_marks = any(has_diacritics(w) for w in original)
    if span_has_marks and _tones(" ".join(original)) != tones:
        return False
    before = [f for _, f in words[max(0, i - 2):i]]
    prefixed = tuple(before[-1:]) in _PROVINCE_WORDS or tuple(before[-2:]) in _PROVINCE_WORDS
    joined = " ".join(key)
    if joined in _NEEDS_PREFIX and not prefixed:
        return False
    if i > 0:
        prev = words[i - 1][0]
        if prev in _NAME_PARTS or (has_diacritics(prev) and prev.lower() in _LOWER_LEVEL):
            return False
        if not has_diacritics(prev) and prev.lower() in {"huyen", "phuong"}:
            return False
    capitalised = all(w[0].isupper() for w in original)
    if capitalised or prefixed or joined not in _COMMON_WORDS:
        return True
    return text_lower or text_folded


def _matches(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical old name) of every province named in text, left to right."""
    found = [(m.group(0), fold(m.group(0)), m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [(w, f) for w, f, _, _ in found]
    folded = [f for _, f in words]
    text_lower = not any(c.isupper() for c in text)
    text_folded = not has_diacritics(text)
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        step = 1
        for n in range(min(_MAX_LEN, len(words) - i), 0, -1):
            key = tuple(folded[i:i + n])
            entry = _ALIASES.get(key)
            if entry is None:
                continue
            canonical, tones = entry
            if canonical is None:
                step = n
                break
            if _accept(words, i, n, key, tones, text_lower, text_folded):
                out.append((found[i][2], found[i + n - 1][3], canonical))
                step = n
                break
        i += step
    return out


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical pre-2025 name) of every province named in text, left to right."""
    return _matches(text)


def find(text: str) -> list[str]:
    """Canonical pre-2025 province names found in text, most frequent first (ties: first seen)."""
    names = [name for _, _, name in _matches(text)]
    counts = Counter(names)
    first = {name: pos for pos, name in reversed(list(enumerate(names)))}
    return sorted(counts, key=lambda name: (-counts[name], first[name]))


def canonical(name: str) -> str | None:
    """The canonical pre-2025 name for any spelling of an old province, or None."""
    return _OLD_LOOKUP.get(_strip_prefix(_key(name))) or _OLD_LOOKUP.get(_key(name))


def _new_unit(name: str) -> str | None:
    key = _key(name)
    new = _NEW_LOOKUP.get(key) or _NEW_LOOKUP.get(_strip_prefix(key))
    if new is not None:
        return new
    old = canonical(name)
    return _NEW_OF_OLD[old] if old else None


def new_name(old: str) -> str:
    """The post-2025 unit an old province belongs to ("Hà Nam" → "Ninh Bình"); KeyError if unknown."""
    new = _new_unit(old)
    if new is None:
        raise KeyError(f"not a Vietnamese province: {old!r}")
    return new


def old_names(new: str) -> tuple[str, ...]:
    """The pre-2025 provinces merged into a post-2025 unit, itself first; KeyError if not a unit."""
    unit = _NEW_LOOKUP.get(_key(new)) or _NEW_LOOKUP.get(_strip_prefix(_key(new)))
    if unit is None:
        raise KeyError(f"not a province after 1 July 2025: {new!r}")
    return MERGERS[unit]


def related(name: str) -> tuple[str, ...]:
    """Every old province of the same post-2025 unit as name (old or new); () if unknown."""
    unit = _new_unit(name)
    return MERGERS[unit] if unit else ()
