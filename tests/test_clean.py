"""clean(): clutter goes by general rules, every fact stays, output format, idempotence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.clean import clean
from qa.text import normalize

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"
SEEDS = sorted(SEED_DIR.glob("*.txt"))


def seed(prefix: str) -> str:
    (path,) = SEED_DIR.glob(f"{prefix}_*.txt")
    return normalize(path.read_text(encoding="utf-8"))


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


CLUTTER = re.compile(
    r"Lượt xem|Đang online|Hôm nay:|Trong tuần|Tất cả:|Views|View Counter|Total views|^\d+$"
    r"|Skip to content|^Language$|^Tin tức$|Thống kê truy cập|^Đăng nhập$|^Bình luận|Chia sẻ"
    r"|CÙNG CHUYÊN MỤC|^Bài viết mới$|Tải về|Giấy phép|GP-BTTTT|Địa chỉ:|Điện thoại:|Email:"
    r"|Tổng Biên tập|Cấm sao chép|Nha khoa|BÁO HÀ NAM ĐIỆN TỬ|^tao dot pha$", re.I)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_clutter_is_gone(path: Path) -> None:
    for para in paragraphs(clean(normalize(path.read_text(encoding="utf-8")))):
        assert not CLUTTER.search(para), para


def test_seed_001_counters_gone() -> None:
    cleaned = clean(seed("001"))
    assert not any(re.search(r"Đang online|Lượt xem", line) for line in cleaned.split("\n"))
    assert cleaned.startswith("Đẩy mạnh CCHC trong Đảng")
    assert cleaned.endswith("Thuỷ Tiên (Trung tâm TT-VH Thuận Châu)")


FACTS = {
    "000": ["Sáng 20/4/2021", "57-NQ/TU, ngày 18/1/2013", "03-CT/TU", "trên 99% các thủ tục",
            "Nguồn: baolangson.vn"],
    "001": ["Trưởng Đoàn đại biểu Quốc hội", "Nguyễn Hữu Đông", "436-KL/TU ngày 28/1/2022",
            "Thào A Súa", "18-NQ/TW", "Thuỷ Tiên"],
    "002": ["tụt 17 bậc", "60/63", "Trương Quốc Huy", "43,285 điểm", "giảm 59 bậc", "Thu Thảo",
            "02/08 chỉ số thành phần"],
    "003": ["02 mục tiêu chung", "xếp thứ 55/63", "08-NQ/TU", "Nguồn: https://cchc.backan.gov.vn/",
            "Nghị quyết số 08-NQ/TU ngày 22/4/2021 của Tỉnh ủy về đẩy mạnh CCHC"],
    "004": ["5.835 tỷ đồng", "Thứ bảy, 16/01/2021", "456-QĐ/TU", "350 km", "TRÍ DŨNG – PHƯƠNG DUNG"],
}


@pytest.mark.parametrize("prefix", sorted(FACTS))
def test_seed_facts_are_kept(prefix: str) -> None:
    cleaned = clean(seed(prefix))
    for fact in FACTS[prefix]:
        assert fact in cleaned, fact


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_every_long_paragraph_is_kept_verbatim(path: Path) -> None:
    raw = normalize(path.read_text(encoding="utf-8"))
    cleaned = clean(raw)
    for line in raw.split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip()
        if len(line.split()) >= 25 and line[-1] in ".…;:":
            assert line in cleaned, line[:80]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_output_format(path: Path) -> None:
    cleaned = clean(normalize(path.read_text(encoding="utf-8")))
    assert "\n\n\n" not in cleaned and "  " not in cleaned
    assert cleaned == cleaned.strip()
    for para in paragraphs(cleaned):
        assert para and para == para.strip() and "\n" not in para


def test_captions_repeating_the_title_go() -> None:
    cleaned = clean(seed("002"))
    title = paragraphs(cleaned)[0]
    assert title.startswith("Ban Thường vụ Tỉnh ủy cho ý kiến, chủ trương")
    assert cleaned.count("theo thẩm quyền") == 1
    assert "Các đại biểu dự hội nghị." not in cleaned
    assert "Đại biểu thảo luận tại hội nghị." not in cleaned


def test_photo_caption_repeating_the_lead_goes() -> None:
    for prefix in ("000", "004"):
        cleaned = clean(seed(prefix))
        assert cleaned.count("Lâm Thị Phương Thanh, Ủy viên Trung ương Đảng") == 1


ARTICLE = """Trang chủ
Thứ hai, 12/04/2021 08:30
Số lượt truy cập: 1.234.567

Hà Giang đẩy mạnh chuyển đổi số trong cơ quan nhà nước

ha giang day manh chuyen doi so

Ngày 12/4, UBND tỉnh Hà Giang tổ chức hội nghị triển khai kế hoạch chuyển đổi số năm 2021 với sự tham dự của lãnh đạo các sở, ngành và 11 huyện, thành phố.

IMG_2041.JPG

Hà Giang đẩy mạnh chuyển đổi số trong cơ quan nhà nước
Quang cảnh hội nghị.

Tổng kinh phí thực hiện là 12 tỷ đồng.

Năm 2021, tỉnh phấn đấu 100% hồ sơ công việc tại cấp tỉnh được xử lý trên môi trường mạng; tỷ lệ dịch vụ công trực tuyến mức độ 4 đạt 30%.

Minh Anh

Tin liên quan
Lào Cai triển khai chính quyền số
Yên Bái ra mắt trung tâm điều hành thông minh

Views This Week : 5
Online: 12
© 2021 Cổng thông tin điện tử tỉnh Hà Giang
Địa chỉ: Đường 20/8, TP Hà Giang
Điện thoại: 0219.3866.666
Ghi rõ nguồn khi phát hành lại thông tin từ website này.
Quảng cáo: Khách sạn Hoàng Ngọc"""


def test_general_rules_on_another_page() -> None:
    cleaned = clean(ARTICLE)
    assert paragraphs(cleaned) == [
        "Thứ hai, 12/04/2021 08:30",
        "Hà Giang đẩy mạnh chuyển đổi số trong cơ quan nhà nước",
        "Ngày 12/4, UBND tỉnh Hà Giang tổ chức hội nghị triển khai kế hoạch chuyển đổi số năm 2021 "
        "với sự tham dự của lãnh đạo các sở, ngành và 11 huyện, thành phố.",
        "Tổng kinh phí thực hiện là 12 tỷ đồng.",
        "Năm 2021, tỉnh phấn đấu 100% hồ sơ công việc tại cấp tỉnh được xử lý trên môi trường mạng; "
        "tỷ lệ dịch vụ công trực tuyến mức độ 4 đạt 30%.",
        "Minh Anh",
    ]


def test_contact_lines_inside_the_article_stay() -> None:
    text = ("Thông báo tuyển dụng viên chức năm 2021\n\n"
            "Địa chỉ: Số 5 đường Lê Lợi, thành phố Lạng Sơn.\n\n"
            "Hạn nộp hồ sơ đến hết ngày 30/6/2021; mọi thắc mắc xin liên hệ Sở Nội vụ "
            "để được giải đáp, hướng dẫn chi tiết về hồ sơ và quy trình.")
    assert clean(text) == text


def test_wrapped_lines_are_joined() -> None:
    text = ("Đồng chí Lâm Thị Phương Thanh, Ủy viên Trung ương Đảng,\nBí thư Tỉnh ủy chủ trì hội nghị\n\n"
            "Công tác cải cách hành chính được xác định là nhiệm vụ trọng tâm của cả nhiệm kỳ, cần\n"
            "tiếp tục được đẩy mạnh trong thời gian tới.")
    assert paragraphs(clean(text)) == [
        "Đồng chí Lâm Thị Phương Thanh, Ủy viên Trung ương Đảng, Bí thư Tỉnh ủy chủ trì hội nghị",
        "Công tác cải cách hành chính được xác định là nhiệm vụ trọng tâm của cả nhiệm kỳ, cần "
        "tiếp tục được đẩy mạnh trong thời gian tới.",
    ]


def test_spaces_collapsed_and_lines_trimmed() -> None:
    assert clean("  Tiêu   đề\t bài  \n\n\n\n   Nội dung   có  số 60/63.  ") == (
        "Tiêu đề bài\n\nNội dung có số 60/63.")


def test_empty_and_clutter_only() -> None:
    assert clean("") == ""
    assert clean("Lượt xem: 5\n\nĐăng nhập\n\n005091\n\nSkip to content") == ""


LINES = st.sampled_from([
    "Lượt xem: 503", "Views Today : 66", "Bình luận", "Đăng nhập", "Chia sẻ :", "005091",
    "Tạo đột phá trong công tác cải cách hành chính", "tao dot pha", "Thu Thảo", "",
    "Giấy phép xuất bản số 68/GP-BTTTT", "Địa chỉ: Đình Tràng", "Tin liên quan", "  ",
    "Chỉ số PAR Index xếp thứ 60/63, tụt 17 bậc so với năm 2020.", "Nguồn: baolangson.vn",
    "Đồng chí Lê Thị Thủy, Ủy viên Trung ương Đảng,", "Bí thư Tỉnh ủy chủ trì hội nghị",
    "thu ngân sách đạt 5.835 tỷ đồng", "BÁO HÀ NAM ĐIỆN TỬ", "Thứ bảy, 16/01/2021", "•", "IMG_1.jpg",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=40)), max_size=25))
def test_clean_is_idempotent_and_total(lines: list[str]) -> None:
    text = "\n".join(lines)
    once = clean(text)
    assert clean(once) == once
    assert "\n\n\n" not in once and once == once.strip()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_clean_never_raises_on_arbitrary_text(text: str) -> None:
    once = clean(text)
    assert clean(once) == once


def test_content_sentences_that_look_like_footer_words_stay() -> None:
    text = ("Tiêu đề bài viết về cấp phép\n\n"
            "Sở đã cấp giấy phép hoạt động cho 12 doanh nghiệp.\n\n"
            "Sở Y tế chịu trách nhiệm chính trong việc triển khai.\n\n"
            "Tổng: 5.835 tỷ đồng\n\n"
            "Kế hoạch số 12/KH-UBND (văn bản đính kèm)")
    assert clean(text) == text


def test_footer_without_blank_lines_goes() -> None:
    raw = seed("002")
    body, footer = raw.split("Bình luận bài viết")
    footer = "\n".join(line for line in footer.split("\n") if line.strip())
    cleaned = clean(f"{body}Bình luận bài viết\n{footer}")
    assert cleaned == clean(raw)
    assert cleaned.endswith("Thu Thảo")
