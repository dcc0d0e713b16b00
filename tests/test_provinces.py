"""The province gazetteer: the 63 → 34 table, matching in text and queries, old ↔ new names."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import provinces
from qa.provinces import MERGERS, NEW_PROVINCES, OLD_PROVINCES, find, new_name, old_names, related

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"


def test_table_is_63_old_into_34_new() -> None:
    assert len(OLD_PROVINCES) == len(set(OLD_PROVINCES)) == 63
    assert len(NEW_PROVINCES) == 34
    unchanged = [new for new, olds in MERGERS.items() if len(olds) == 1]
    assert len(unchanged) == 11
    assert MERGERS["Huế"] == ("Thừa Thiên Huế",)
    for new, olds in MERGERS.items():
        assert len(olds) <= 3
        if new != "Huế":
            assert olds[0] == new


@pytest.mark.parametrize("old, new", [
    ("Hà Nam", "Ninh Bình"), ("Nam Định", "Ninh Bình"), ("Bắc Kạn", "Thái Nguyên"),
    ("Lạng Sơn", "Lạng Sơn"), ("Sơn La", "Sơn La"), ("Thừa Thiên Huế", "Huế"),
    ("Hòa Bình", "Phú Thọ"), ("Hoà Bình", "Phú Thọ"), ("hoa binh", "Phú Thọ"),
    ("Bà Rịa – Vũng Tàu", "TP Hồ Chí Minh"), ("Bình Dương", "TP Hồ Chí Minh"),
    ("Long An", "Tây Ninh"), ("Tiền Giang", "Đồng Tháp"), ("Kon Tum", "Quảng Ngãi"),
    ("Bình Định", "Gia Lai"), ("Ninh Thuận", "Khánh Hòa"), ("Đắk Nông", "Lâm Đồng"),
    ("Phú Yên", "Đắk Lắk"), ("Bạc Liêu", "Cà Mau"), ("Kiên Giang", "An Giang"),
    ("Hải Dương", "Hải Phòng"), ("Thái Bình", "Hưng Yên"), ("Quảng Bình", "Quảng Trị"),
    ("Quảng Nam", "Đà Nẵng"), ("Hà Giang", "Tuyên Quang"), ("Yên Bái", "Lào Cai"),
    ("Bắc Giang", "Bắc Ninh"), ("Bình Phước", "Đồng Nai"), ("Sóc Trăng", "Cần Thơ"),
    ("Trà Vinh", "Vĩnh Long"), ("tỉnh Hà Nam", "Ninh Bình"), ("TP.HCM", "TP Hồ Chí Minh"),
])
def test_new_name(old: str, new: str) -> None:
    assert new_name(old) == new


def test_every_old_province_has_a_new_unit() -> None:
    for old in OLD_PROVINCES:
        assert new_name(old) in NEW_PROVINCES
        assert old in old_names(new_name(old))


def test_old_names_and_related() -> None:
    assert old_names("Ninh Bình") == ("Ninh Bình", "Hà Nam", "Nam Định")
    assert old_names("ninh binh") == ("Ninh Bình", "Hà Nam", "Nam Định")
    assert old_names("Lạng Sơn") == ("Lạng Sơn",)
    assert old_names("Thành phố Hồ Chí Minh") == ("TP Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu")
    assert related("Ninh Bình") == ("Ninh Bình", "Hà Nam", "Nam Định")
    assert related("Hà Nam") == ("Ninh Bình", "Hà Nam", "Nam Định")
    assert related("Bắc Kạn") == ("Thái Nguyên", "Bắc Kạn")
    assert related("Huế") == ("Thừa Thiên Huế",)
    assert related("Hoà Bình") == ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình")
    assert related("Atlantis") == ()


def test_unknown_names_raise() -> None:
    with pytest.raises(KeyError):
        new_name("Atlantis")
    with pytest.raises(KeyError):
        old_names("Hà Nam")  # an old province, not a unit after 2025


@pytest.mark.parametrize("text, expected", [
    ("ha nam xep thu may", ["Hà Nam"]),
    ("chỉ số PAR của tỉnh hà nam", ["Hà Nam"]),
    ("Tỉnh Hoà Bình và tỉnh Hòa Bình", ["Hòa Bình"]),
    ("THANH HOÁ, Thanh Hóa, thanh hoa", ["Thanh Hóa"]),
    ("bac kan va lang son", ["Bắc Kạn", "Lạng Sơn"]),
    ("Hà Nam, Nam Định và Ninh Bình", ["Hà Nam", "Nam Định", "Ninh Bình"]),
    ("ninh thuan, ninh binh, ninh binh", ["Ninh Bình", "Ninh Thuận"]),
    ("TP.HCM, TP Hồ Chí Minh và thành phố Hồ Chí Minh", ["TP Hồ Chí Minh"]),
    ("Bà Rịa - Vũng Tàu và Bà Rịa – Vũng Tàu", ["Bà Rịa - Vũng Tàu"]),
    ("Thừa Thiên - Huế", ["Thừa Thiên Huế"]),
    ("Đắk Lắk, Đắc Lắc", ["Đắk Lắk"]),
])
def test_find_variants(text: str, expected: list[str]) -> None:
    assert find(text) == expected


@pytest.mark.parametrize("text", [
    "Việt Nam và Lào hợp tác; phía Nam giáp Campuchia.",  # "Nam", "Lào" alone
    "Hà Nam Ninh là tên tỉnh cũ trước năm 1991.",  # a longer historical name
    "Tư tưởng Hồ Chí Minh soi đường.",  # the person, not the city
    "Vì hòa bình và thịnh vượng, đất nước thái bình.",  # common words in lower case
    "Ông Nguyễn Hòa Bình phát biểu tại phường Hòa Bình.",  # a person, a ward
    "Hoa huệ nở ở hạ Nam.",  # tones differ from Huế / Hà Nam
    "Quận HamPyeong (tỉnh Jeollanam, Hàn Quốc).",
])
def test_find_false_positives(text: str) -> None:
    assert find(text) == []


def test_find_most_frequent_first() -> None:
    assert find("Nam Định hợp tác với Hà Nam. Hà Nam và tỉnh Hà Nam.") == ["Hà Nam", "Nam Định"]


def test_find_seeds() -> None:
    expected = {"000": ["Lạng Sơn"], "001": ["Sơn La"], "002": ["Hà Nam"], "003": ["Bắc Kạn"],
                "004": ["Lạng Sơn"]}
    for prefix, names in expected.items():
        (path,) = SEED_DIR.glob(f"{prefix}_*.txt")
        assert find(path.read_text(encoding="utf-8")) == names


def test_canonical() -> None:
    assert provinces.canonical("tinh hoa binh") == "Hòa Bình"
    assert provinces.canonical("Thanh Hoá") == "Thanh Hóa"
    assert provinces.canonical("Nam") is None
