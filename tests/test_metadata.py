"""extract(): metadata of the five seeds and of hand-made articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.clean import clean
from qa.metadata import extract
from qa.records import Metadata
from qa.text import normalize

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"


def meta_of(prefix: str) -> Metadata:
    (path,) = SEED_DIR.glob(f"{prefix}_*.txt")
    raw = normalize(path.read_text(encoding="utf-8"))
    return extract(raw, clean(raw), path.name)


def meta(raw: str, name: str = "a.txt") -> Metadata:
    raw = normalize(raw)
    return extract(raw, clean(raw), name)


def test_seed_000() -> None:
    m = meta_of("000")
    assert m.title == "Tạo đột phá trong công tác cải cách hành chính tỉnh Lạng Sơn giai đoạn 2021 – 2025"
    assert m.date == "2021-04-20"
    assert m.source == "baolangson.vn"
    assert m.author is None
    assert m.provinces == ("Lạng Sơn",)
    assert m.people == ("Lâm Thị Phương Thanh",)
    assert m.doc_numbers == ("57-NQ/TU", "03-CT/TU")


def test_seed_001() -> None:
    m = meta_of("001")
    assert m.title.startswith("Đẩy mạnh CCHC trong Đảng, các cơ quan nhà nước")
    assert m.date == "--03-24"
    assert m.source is None
    assert m.author == "Thuỷ Tiên"
    assert m.provinces == ("Sơn La",)
    assert m.people == ("Nguyễn Hữu Đông", "Lò Minh Hùng", "Nguyễn Minh Tiến", "Thào A Súa",
                        "Quàng Văn Dũng")
    assert m.doc_numbers == ("03-NQ/TU", "436-KL/TU", "18-NQ/TW", "19-NQ/TW")


def test_seed_002() -> None:
    m = meta_of("002")
    assert m.title.startswith("Ban Thường vụ Tỉnh ủy cho ý kiến, chủ trương")
    assert m.date == "--06-22"
    assert m.source == "Báo Hà Nam điện tử"
    assert m.author == "Thu Thảo"
    assert m.provinces[0] == "Hà Nam"
    assert m.people == ("Lê Thị Thủy", "Đinh Thị Lụa", "Trương Quốc Huy")
    assert "68/GP-BTTTT" not in m.doc_numbers
    assert m.doc_numbers == ("17-NQ/TU", "24-NQ/TU")


def test_seed_003() -> None:
    m = meta_of("003")
    assert m.title.startswith("Tỉnh Bắc Kạn tiếp tục ban hành nghị quyết chuyên đề")
    assert m.date == "2021-04-22"  # the event, not the 26/4/2016 date of a cited resolution
    assert m.source == "cchc.backan.gov.vn"
    assert m.provinces == ("Bắc Kạn",)
    assert m.doc_numbers == ("07-NQ/TU", "08-NQ/TU")


def test_seed_004() -> None:
    m = meta_of("004")
    assert m.title == "Hội nghị Ban Thường vụ Tỉnh ủy, kỳ chuyên đề: Cho ý kiến nhiều nội dung quan trọng"
    assert m.date == "2021-01-16"
    assert m.source == "Báo Lạng Sơn"
    assert m.author == "Trí Dũng – Phương Dung"
    assert m.provinces == ("Lạng Sơn",)
    assert m.people == ("Lâm Thị Phương Thanh",)
    assert m.doc_numbers == ("101-NQ/TU", "456-QĐ/TU", "457-QĐ/TU")


@pytest.mark.parametrize("lead, iso", [
    ("Sáng 20/4/2021, hội nghị khai mạc.", "2021-04-20"),
    ("Chiều 22/6, hội nghị bế mạc.", "--06-22"),
    ("Ngày 24/3, tỉnh tổ chức hội nghị.", "--03-24"),
    ("LSO-Ngày 23/12/2020, đồng chí Bí thư chủ trì.", "2020-12-23"),
    ("Tối nay ngày 5/9/2022, lễ hội diễn ra.", "2022-09-05"),
    ("Ngày 2 tháng 9 năm 2021, tỉnh tổ chức lễ kỷ niệm.", "2021-09-02"),
    ("Thực hiện Nghị quyết số 57-NQ/TU, ngày 18/1/2013 của Tỉnh ủy, ngày 3/5/2021 UBND tỉnh họp.",
     "2021-05-03"),
    ("Hội nghị bàn về cải cách hành chính.", None),
])
def test_event_dates(lead: str, iso: str | None) -> None:
    assert meta(f"Tiêu đề bài viết\n\n{lead}").date == iso


@pytest.mark.parametrize("dateline", ["Thứ bảy, 16/01/2021", "16/01/2021", "Chủ nhật, 17-01-2021 08:30",
                                      "Cập nhật: 16/01/2021"])
def test_dateline_wins_over_event_date(dateline: str) -> None:
    iso = meta(f"{dateline}\n\nTiêu đề\n\nSáng 20/4/2021, hội nghị khai mạc.").date
    assert iso in ("2021-01-16", "2021-01-17")


def test_banner_gives_way_to_headline_but_caps_title_alone_stays() -> None:
    banner = "CHÀO MỪNG ĐẠI HỘI ĐẢNG BỘ TỈNH\n\nTỉnh tổ chức hội nghị tổng kết\n\nNgày 3/5, hội nghị họp."
    assert meta(banner).title == "Tỉnh tổ chức hội nghị tổng kết"
    caps = "TỈNH TỔ CHỨC HỘI NGHỊ TỔNG KẾT\n\nNgày 3/5, tỉnh tổ chức hội nghị tổng kết năm."
    assert meta(caps).title == "TỈNH TỔ CHỨC HỘI NGHỊ TỔNG KẾT"


def test_title_falls_back_to_first_sentence_then_file_name() -> None:
    assert meta("Ngày 3/5, tỉnh họp bàn nhiều việc. Các đại biểu thống nhất.").title == (
        "Ngày 3/5, tỉnh họp bàn nhiều việc.")
    assert meta("Lượt xem: 5", name="bai-viet.txt").title == "bai-viet"


@pytest.mark.parametrize("line, source", [
    ("Nguồn: baolangson.vn", "baolangson.vn"),
    ("Nguồn: https://cchc.backan.gov.vn/", "cchc.backan.gov.vn"),
    ("Nguồn: http://www.hanam.gov.vn/Pages/tin.aspx?id=1", "hanam.gov.vn"),
    ("Nguồn tin: Báo Sơn La", "Báo Sơn La"),
    ("BÁO HÀ NAM ĐIỆN TỬ\n\nGiấy phép xuất bản số 68/GP-BTTTT", "Báo Hà Nam điện tử"),
    ("Website: www.sonla.gov.vn", "sonla.gov.vn"),
])
def test_sources(line: str, source: str) -> None:
    body = "Tiêu đề\n\nNgày 3/5, tỉnh tổ chức hội nghị tổng kết công tác năm 2020 và triển khai nhiệm vụ."
    assert meta(f"{body}\n\n{line}").source == source


def test_no_source() -> None:
    assert meta("Tiêu đề\n\nNgày 3/5, tỉnh tổ chức hội nghị.").source is None


def test_people_after_titles_and_ong_ba() -> None:
    text = ("Tiêu đề\n\nÔng Nguyễn Văn An, Giám đốc Sở Nội vụ cho biết; bà Trần Thị Bình phát biểu. "
            "Đồng chí Bí thư Tỉnh ủy Hoàng Văn Cường kết luận. Bà con nhân dân phấn khởi. "
            "Ông cho biết thêm. Các đồng chí Ủy viên BTV Tỉnh ủy dự. Bà Rịa Vũng Tàu cũng tham gia.")
    assert meta(text).people == ("Nguyễn Văn An", "Trần Thị Bình", "Hoàng Văn Cường")


def test_doc_numbers() -> None:
    text = ("Tiêu đề\n\nThực hiện Nghị quyết số 18-NQ/TW, Nghị định 61/2018/NĐ-CP, Nghị quyết "
            "202/2025/QH15, Quyết định 1234/QĐ-UBND, Chỉ thị 12/CT-TTg và Nghị quyết 57-NQ/TU "
            "(nhắc lại 57-NQ/TU); tỷ lệ 1/2000, xếp thứ 60/63, giấy phép 68/GP-BTTTT.")
    assert meta(text).doc_numbers == ("18-NQ/TW", "61/2018/NĐ-CP", "202/2025/QH15", "1234/QĐ-UBND",
                                      "12/CT-TTg", "57-NQ/TU")


def test_provinces_title_first_then_frequency() -> None:
    text = ("Hà Nam học tập kinh nghiệm\n\nĐoàn công tác tỉnh Hà Nam làm việc tại Ninh Bình. "
            "Ninh Bình chia sẻ kinh nghiệm; Ninh Bình và Nam Định đều tăng hạng.")
    assert meta(text).provinces == ("Hà Nam", "Ninh Bình", "Nam Định")


def test_byline_forms() -> None:
    body = "Tiêu đề\n\nNgày 3/5, tỉnh tổ chức hội nghị tổng kết công tác năm 2020."
    assert meta(f"{body}\n\nMinh Anh - Thu Hà").author == "Minh Anh - Thu Hà"
    assert meta(f"{body}\n\nBài và ảnh: Hoàng Long").author == "Hoàng Long"
    assert meta(f"{body}\n\nNguồn: baolangson.vn").author is None
