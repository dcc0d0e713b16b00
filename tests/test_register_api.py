"""GET /api/documents and /api/documents/{number} against the real running server (seed index)."""

import httpx
import pytest
from conftest import Server, page_event


def test_documents_lists_the_register(server):
    r = httpx.get(server.url + "/api/documents", timeout=30)
    assert r.status_code == 200, r.text
    docs = {d["number"]: d for d in r.json()["documents"]}
    assert {"57-NQ/TU", "436-KL/TU", "456-QĐ/TU", "18-NQ/TW"} <= docs.keys()
    assert not any("GP" in n for n in docs)  # the press licence of a page footer is not a document
    d = docs["57-NQ/TU"]
    assert (d["kind"], d["date"], d["issuer"]) == ("Nghị quyết", "2013-01-18", "Ban Thường vụ Tỉnh ủy")
    assert d["subject"].startswith("tăng cường sự lãnh đạo của Đảng") and d["articles"] == 1


@pytest.mark.parametrize("path", ["57-NQ/TU", "57-NQ%2FTU", "57-nq/tu", "57-NQ%2ftu"])
def test_one_document_by_number_as_typed_or_url_encoded(server, path):
    r = httpx.get(server.url + "/api/documents/" + path, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["number"] == "57-NQ/TU" and body["references"]
    assert [r["short"] for r in body["references"]] == [False, True]  # "… số 57-NQ/TU, ngày …", then "… số 57"
    for ref in body["references"]:
        art = httpx.get(server.url + f"/api/articles/{ref['article_id']}", timeout=30).json()
        written = "57" if ref["short"] else "57-NQ/TU"
        assert art["text"][ref["number_start"] : ref["number_end"]] == written
        assert art["text"][ref["start"] : ref["end"]] == ref["text"]
        p = ref["passage"]
        assert art["text"][p["start"] : p["end"]] == p["text"] and ref["text"] in p["text"]


def test_a_number_with_vietnamese_letters(server):
    r = httpx.get(server.url + "/api/documents/456-Q%C4%90%2FTU", timeout=30)  # 456-QĐ/TU, UTF-8 encoded
    assert r.status_code == 200 and r.json()["kind"] == "Quyết định"
    assert httpx.get(server.url + "/api/documents/456-QD/TU", timeout=30).json()["number"] == "456-QĐ/TU"


@pytest.mark.parametrize("path", ["999-NQ/TU", "..%2F..%2Fetc%2Fpasswd", "", "x" * 500, "%00", "57-NQ/TU/extra"])
def test_unknown_or_malformed_numbers_get_404_with_a_sentence(server, path):
    r = httpx.get(server.url + "/api/documents/" + path, timeout=30)
    assert r.status_code == 404, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail.endswith(".") and "Traceback" not in detail


def test_dot_segments_reach_no_file(server):
    r = httpx.get(server.url + "/api/documents/../../etc/passwd", timeout=30)  # the client drops the dot segments
    assert r.status_code == 404 and "root:" not in r.text


def test_wrong_method_is_405(server):
    assert httpx.post(server.url + "/api/documents", json={}, timeout=30).status_code == 405
    assert httpx.delete(server.url + "/api/documents/57-NQ/TU", timeout=30).status_code == 405


def test_api_token_guards_the_register_routes(seed_settings, tmp_path):
    srv = Server(seed_settings.index_dir, tmp_path, QA_API_TOKEN="s3cret")
    try:
        for path in (
            "/api/documents",
            "/api/documents/57-NQ/TU",
            "/api/documents/57-NQ%2FTU",
            "/api/documents/999-NQ/TU",
        ):
            assert httpx.get(srv.url + path, timeout=30).status_code == 401, path
            assert httpx.get(srv.url + path, headers={"Authorization": "Bearer nope"}, timeout=30).status_code == 401
        ok = httpx.get(srv.url + "/api/documents/57-NQ/TU", headers={"Authorization": "Bearer s3cret"}, timeout=30)
        assert ok.status_code == 200 and ok.json()["number"] == "57-NQ/TU"
        config = httpx.get(srv.url + "/config", timeout=30).json()
        names = {d.get("api_name") for d in config["dependencies"]}
        assert {"load", "show"} <= names  # the Văn bản tab's events: the page's own, not a named API
        for name in ("load", "show"):
            assert httpx.post(srv.url + f"/gradio_api/call/{name}", json={"data": []}, timeout=30).status_code == 404
    finally:
        srv.stop()


def test_the_tab_events_answer_a_vietnamese_sentence_for_an_unknown_number(server):
    msg = page_event(server.url, "show", ["999-NQ/TU"])
    assert msg["success"], msg
    assert "Không có bài viết nào nhắc đến văn bản số" in str(msg["output"]["data"][0])
