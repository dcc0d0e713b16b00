"""Issue 16: the holes a hostile tester found, each tried again through the route the attacker used
(Gradio's own /gradio_api/... routes, chunked bodies, damaged files under a running server)."""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import ROOT, SEEDS, Server, free_port, gradio_upload, page_event

SECRET = "Biên bản mật: mã két sắt của phòng họp tỉnh Hà Nam năm 2021 là KX-4471-9921, chỉ lãnh đạo được biết."


@pytest.fixture(scope="module")
def srv(seed_settings, tmp_path_factory):
    """A server of its own (uploads and Gradio's temp folder in this module's folder)."""
    tmp = tmp_path_factory.mktemp("security")
    shutil.copytree(seed_settings.index_dir, tmp / "index")
    s = Server(str(tmp / "index"), tmp, GRADIO_TEMP_DIR=str(tmp / "gradio-tmp"))
    s.tmp = tmp
    yield s
    s.stop()


def _ask(url: str, question: str, **kw) -> httpx.Response:
    return httpx.post(url + "/api/ask", json={"question": question, **kw}, timeout=60)


# -- 1. reading a server file through Gradio's API ---------------------------------------------

def test_upload_event_never_reads_a_path_the_client_names(srv, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    filedata = {"path": str(secret), "meta": {"_type": "gradio.FileData"}}
    # the attacker's route: the page's upload function as a named API endpoint
    for route, body in (("/gradio_api/call/v2/upload", {"file_path": filedata}),
                        ("/gradio_api/call/upload", {"data": [filedata]})):
        r = httpx.post(srv.url + route, json=body, timeout=30)
        assert r.status_code == 404, (route, r.status_code, r.text)
    # the page's own route (queue/join by fn_index): refused before Gradio touches the file
    for path in (str(secret), "/etc/passwd", str(ROOT / "pyproject.toml"), "../../../etc/passwd"):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            page_event(srv.url, "upload", [{"path": path, "meta": {"_type": "gradio.FileData"}}])
        assert refused.value.response.status_code == 400
        assert "không phải tệp vừa tải lên" in refused.value.response.json()["detail"]
    r = _ask(srv.url, "Mã két sắt của phòng họp tỉnh Hà Nam là gì?", k=5)
    assert r.status_code == 200 and "KX-4471" not in r.text
    copies = [p for p in (srv.tmp / "gradio-tmp").rglob("*") if p.is_file() and p.name == "secret.txt"]
    assert copies == []  # refused before it was copied into Gradio's folder
    assert "Traceback" not in (srv.tmp / "server.log").read_text()


def test_page_upload_refuses_a_link_planted_in_the_upload_folder(srv, tmp_path):
    """Even a path inside Gradio's folder is read only if it is a regular file there, not a link out."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    planted = srv.tmp / "gradio-tmp" / "planted"
    planted.mkdir(parents=True, exist_ok=True)
    (planted / "bai.txt").symlink_to(secret)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        page_event(srv.url, "upload", [{"path": str(planted / "bai.txt"), "meta": {"_type": "gradio.FileData"}}])
    assert refused.value.response.status_code == 400
    assert "KX-4471" not in _ask(srv.url, "Mã két sắt của phòng họp tỉnh Hà Nam là gì?").text


def test_upload_through_the_page_route_still_works_and_keeps_same_name_uploads(srv, tmp_path):
    first, second = tmp_path / "a" / "thong-bao.txt", tmp_path / "b" / "thong-bao.txt"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text("Thông báo của tỉnh Cao Bằng về mã thử nghiệm CB-7310\n\nNgày 4/5/2021, tỉnh Cao Bằng công bố "
                     "mã thử nghiệm CB-7310 cho hệ thống một cửa điện tử của tỉnh, áp dụng từ tháng 6.", encoding="utf-8")
    second.write_text("Thông báo của tỉnh Bến Tre về mã thử nghiệm BT-5518\n\nNgày 9/7/2021, tỉnh Bến Tre công bố "
                      "mã thử nghiệm BT-5518 cho cổng dịch vụ công của tỉnh, áp dụng từ tháng 8.", encoding="utf-8")
    for f in (first, second):  # two users, two articles, one file name
        msg = page_event(srv.url, "upload", [gradio_upload(srv.url, f)])
        assert msg["success"] and "Đã nạp" in msg["output"]["data"][0], msg
    for question, code in (("Mã thử nghiệm của tỉnh Cao Bằng là gì?", "CB-7310"),
                           ("Mã thử nghiệm của tỉnh Bến Tre là gì?", "BT-5518")):
        r = _ask(srv.url, question, k=3).json()
        assert any(code in c["text"] for c in r["citations"]), (question, r)
    stored = sorted((srv.tmp / "uploads").rglob("thong-bao.txt"))
    assert len(stored) == 2 and {p.read_text(encoding="utf-8")[:40] for p in stored} == {
        first.read_text(encoding="utf-8")[:40], second.read_text(encoding="utf-8")[:40]}


def test_refused_upload_with_an_existing_name_deletes_nothing(srv, tmp_path):
    good = tmp_path / "bao-cao.txt"
    good.write_text("Báo cáo của tỉnh Sóc Trăng về mã kiểm tra ST-2046\n\nNgày 2/3/2021, tỉnh Sóc Trăng công bố mã "
                    "kiểm tra ST-2046 cho việc số hóa hồ sơ hành chính của tỉnh.", encoding="utf-8")
    assert "Đã nạp" in page_event(srv.url, "upload", [gradio_upload(srv.url, good)])["output"]["data"][0]
    kept = sorted((srv.tmp / "uploads").rglob("bao-cao.txt"))
    bad = tmp_path / "bad" / "bao-cao.txt"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    out = page_event(srv.url, "upload", [gradio_upload(srv.url, bad)])["output"]["data"][0]
    assert out.startswith("Không nạp được") and "nhị phân" in out, out  # the reason in Vietnamese
    assert sorted((srv.tmp / "uploads").rglob("bao-cao.txt")) == kept and kept[0].exists()
    r = _ask(srv.url, "Mã kiểm tra của tỉnh Sóc Trăng là gì?", k=3).json()
    assert any("ST-2046" in c["text"] for c in r["citations"])


# -- 2. auth gaps ---------------------------------------------------------------------------------

def test_api_token_also_guards_gradios_named_api(seed_settings, tmp_path):
    from gradio_client import Client

    s = Server(seed_settings.index_dir, tmp_path, QA_API_TOKEN="s3cret")
    try:
        for route, body in (("/gradio_api/call/v2/ask", {"question": "Hà Nam"}),
                            ("/gradio_api/call/ask", {"data": ["Hà Nam", 3]})):
            assert httpx.post(s.url + route, json=body, timeout=30).status_code == 401
        msg = page_event(s.url, "ask", ["Hà Nam xếp thứ mấy về PAR Index?", 3])  # by fn_index, no token
        assert not msg["success"] and "mã truy cập" in str(msg.get("output")), msg
        client = Client(s.url + "/", verbose=False, headers={"Authorization": "Bearer s3cret"})
        result = client.predict("Hà Nam xếp thứ mấy về PAR Index?", 3, api_name="/ask")
        assert len(result["citations"]) == 3
    finally:
        s.stop()


@pytest.mark.parametrize("auth", ["canbo", "canbo:", ":mat-khau"])
def test_qa_auth_without_user_and_password_refuses_to_start(tmp_path, auth):
    env = {**os.environ, "QA_AUTH": auth, "QA_INDEX_DIR": str(tmp_path / "index"), "GRADIO_SERVER_PORT": str(free_port())}
    r = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    assert "QA_AUTH must be user:password" in r.stderr and "Traceback" not in r.stderr


def test_login_is_throttled(seed_settings, tmp_path):
    s = Server(seed_settings.index_dir, tmp_path, QA_AUTH="canbo:mat-khau")
    try:
        with httpx.Client(base_url=s.url, timeout=30) as c:
            codes = [c.post("/login", data={"username": "canbo", "password": f"sai-{i}"}).status_code for i in range(8)]
            assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}, codes
            right = c.post("/login", data={"username": "canbo", "password": "mat-khau"})
            assert right.status_code == 429 and "thử lại sau" in right.json()["detail"]
            assert "Retry-After" in right.headers
            # the API's Basic login counts against the same address
            assert c.get("/api/health", auth=("canbo", "mat-khau")).status_code == 429
    finally:
        s.stop()


# -- 5. server errors and crashes ---------------------------------------------------------------------

@pytest.mark.parametrize("body,status", [
    (b'{"question": NaN}', 422),
    (b'{"question": "H\\u00e0 Nam", "k": Infinity}', 422),
    (b'{"question": "H\\u00e0 Nam", "k": NaN}', 422),
    (b'{"question": "H\\u00e0 Nam \\ud800"}', 400),
    (b'{"question": "\\udfff"}', 400),
])
def test_json_that_python_reads_but_cannot_write_gets_4xx(srv, body, status):
    r = httpx.post(srv.url + "/api/ask", content=body, headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_gradio_ask_refuses_a_huge_k(srv):
    for k in (1_000_000_000, 0, 2.5):
        msg = page_event(srv.url, "ask", ["Hà Nam xếp thứ mấy về PAR Index?", k])
        assert not msg["success"] and "Số trích dẫn" in str(msg.get("output")), (k, msg)
    ok = page_event(srv.url, "ask", ["Hà Nam xếp thứ mấy về PAR Index?", 2])
    assert ok["success"] and len(ok["output"]["data"][0]["citations"]) == 2


def _junk(path, keep_stat: bool) -> None:
    """Overwrite a file in place with junk of the same size (optionally keeping its mtime)."""
    st = path.stat()
    with open(path, "r+b") as fh:
        fh.write(os.urandom(st.st_size))
    if keep_stat:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _truncate(path, keep_stat: bool = False) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(max(1, path.stat().st_size // 3))


@pytest.mark.parametrize("damage", ["truncate-faiss", "truncate-lexical", "junk-sqlite", "junk-sqlite-same-mtime",
                                    "delete-lexical"])
def test_damage_under_a_running_server_gives_503_and_the_server_survives(seed_settings, tmp_path, damage):
    import json

    index = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, index)
    s = Server(str(index), tmp_path)
    try:
        assert _ask(s.url, "Hà Nam xếp thứ mấy về PAR Index?").status_code == 200
        files = json.loads((index / "manifest.json").read_text())["files"]
        lexical = index / files["lexical"]
        if damage == "truncate-faiss":
            _truncate(index / files["faiss"])
        elif damage == "truncate-lexical":
            _truncate(lexical / "folded" / "rows.npy")
        elif damage == "delete-lexical":
            shutil.rmtree(lexical)
        else:
            _junk(index / files["sqlite"], keep_stat=damage.endswith("same-mtime"))
        for _ in range(3):
            r = _ask(s.url, "Hà Nam xếp thứ mấy về PAR Index?")
            assert r.status_code == 503, r.text
            assert "qa ingest --rebuild" in r.json()["detail"]
        health = httpx.get(s.url + "/api/health", timeout=30)
        assert health.status_code == 503 and health.json()["status"] != "ok"
        art = httpx.get(s.url + "/api/articles/0c840c98cdf18d8c", timeout=30)
        assert art.status_code == 503
        assert s.proc.poll() is None  # still serving
        log = (tmp_path / "server.log").read_text()
        assert "Traceback" not in log
    finally:
        s.stop()


# -- 7. limits -----------------------------------------------------------------------------------------

def test_chunked_body_is_refused_without_reading_it_whole(srv):
    host, port = "127.0.0.1", srv.port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"a" * 16384
        sent = 0
        for _ in range(8):  # 128 KiB of a body that would go on for 20 MB
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed without reading the rest
            sent += len(chunk)
            if select.select([sock], [], [], 0.2)[0]:
                break  # the answer came before the rest of the body was sent: read it before sending more
        sock.settimeout(10)
        reply = sock.recv(4096)  # answered before the rest of the body was sent
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 20 * 1024 * 1024


def test_chunked_body_under_the_limit_is_accepted(srv):
    def body():
        yield b'{"question": "H\\u00e0 Nam x\\u1ebfp th\\u1ee9 m\\u1ea5y v\\u1ec1 PAR Index?",'
        yield b' "k": 2}'

    r = httpx.post(srv.url + "/api/ask", content=body(), headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code == 200 and len(r.json()["citations"]) == 2


@pytest.mark.parametrize("filters,why", [
    ({"province": ["Hà Nam"]}, "provinces"),  # a typo of the key
    ({"provinces": ["Atlantis"]}, "unknown province"),
    ({"date_from": "2021-13-45"}, "not a date"),
    ({"date_to": "2021-02-30"}, "not a date"),
    ({"date_from": "2021-12-31", "date_to": "2021-01-01"}, "after"),
])
def test_filters_that_would_silently_not_filter_are_refused(srv, filters, why):
    r = _ask(srv.url, "cải cách hành chính", filters=filters)
    assert r.status_code == 422, r.text
    assert why in str(r.json()["detail"]) or why == "provinces"


def test_post_2025_province_names_filter(srv):
    r = _ask(srv.url, "cải cách hành chính", k=5, filters={"provinces": ["Ninh Bình"]})  # Hà Nam is part of it now
    body = r.json()
    assert r.status_code == 200 and {c["province"] for c in body["citations"] or body["related"]} == {"Hà Nam"}


def test_wrong_method_is_405(srv):
    r = httpx.get(srv.url + "/api/ask", timeout=30)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert httpx.post(srv.url + "/api/health", timeout=30).status_code == 405


def test_validation_errors_leave_no_traceback_in_the_log(srv):
    for body in ({"question": ""}, {"question": "Hà Nam", "k": 0}, {"question": "Hà Nam", "filters": {"x": 1}}, {}):
        assert httpx.post(srv.url + "/api/ask", json=body, timeout=30).status_code in (400, 422)
    page_event(srv.url, "ask", ["", 3])
    time.sleep(0.5)
    assert "Traceback" not in (srv.tmp / "server.log").read_text()


# -- 6. concurrency ------------------------------------------------------------------------------------

def test_replaced_index_snapshots_are_released(srv, tmp_path):
    """After ingests publish new generations, the server holds no file of a pruned generation open."""
    for i in range(3):
        art = tmp_path / f"ban-tin-{i}.txt"
        art.write_text(f"Bản tin số {i} của tỉnh Hậu Giang\n\nNgày {i + 1}/4/2021, tỉnh Hậu Giang phát hành bản tin "
                       f"nội bộ số HG-{9000 + i} về tiến độ giải ngân vốn đầu tư công.", encoding="utf-8")
        env = {**os.environ, "QA_INDEX_DIR": srv.index_dir}
        subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(art)], env=env, check=True, timeout=300)
        assert _ask(srv.url, f"Bản tin số HG-{9000 + i} nói về gì?").status_code == 200
    time.sleep(0.5)
    fds = os.listdir(f"/proc/{srv.proc.pid}/fd")
    held = [os.readlink(f"/proc/{srv.proc.pid}/fd/{fd}") for fd in fds if os.path.exists(f"/proc/{srv.proc.pid}/fd/{fd}")]
    stale = [h for h in held if h.startswith(srv.index_dir) and h.endswith("(deleted)")]
    assert stale == [], stale


def test_ten_clients_during_an_ingest_and_a_remove(srv, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / "more"
    folder.mkdir()
    for i, seed in enumerate(sorted(SEEDS.glob("*.txt"))[:3]):
        head, rest = seed.read_text(encoding="utf-8").split("\n\n", 1)
        (folder / f"ban-sao-{i}.txt").write_text(f"{head}\n\nBản sao lưu số {i} lập ngày 7/7/2021.\n\n{rest}",
                                                 encoding="utf-8")
    env = {**os.environ, "QA_INDEX_DIR": srv.index_dir}
    before = httpx.get(srv.url + "/api/health", timeout=30).json()
    ingest = subprocess.Popen([sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(folder)], env=env)
    statuses: list[int] = []

    def client(i: int) -> None:
        while ingest.poll() is None or len(statuses) < 20:
            statuses.append(_ask(srv.url, "Hà Nam xếp thứ mấy về PAR Index?", k=3).status_code)

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(client, range(10)))
    assert ingest.wait() == 0
    mid = httpx.get(srv.url + "/api/health", timeout=30).json()
    assert mid["articles"] == before["articles"] + 3
    ids = [a.split()[0] for a in subprocess.run([sys.executable, "-m", "qa.cli", "list"], env=env, capture_output=True,
                                                  text=True, check=True).stdout.splitlines() if "ban-sao-0" in a]
    remove = subprocess.Popen([sys.executable, "-m", "qa.cli", "remove", *ids], env=env)
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(client, range(10)))
    assert remove.wait() == 0
    assert set(statuses) == {200}, {s for s in statuses if s != 200}
    after = httpx.get(srv.url + "/api/health", timeout=30).json()
    assert after["articles"] == mid["articles"] - len(ids) and after["generation"] > mid["generation"]


# -- the page's upload helpers, in the library ------------------------------------------------------

def test_upload_helpers_read_only_gradios_files_and_keep_same_name_uploads(tmp_path, monkeypatch):
    from qa.errors import InputError
    from qa.ui import _uploaded_file, store_upload

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    received = tmp_path / "gradio" / "abc" / "bai.txt"
    received.parent.mkdir(parents=True)
    received.write_text("Bài một", encoding="utf-8")
    assert _uploaded_file(str(received)) == received.resolve()
    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET, encoding="utf-8")
    (tmp_path / "gradio" / "abc" / "link.txt").symlink_to(outside)
    for path in (str(outside), "/etc/passwd", str(tmp_path / "gradio" / "abc" / "link.txt"),
                 str(tmp_path / "gradio" / "abc"), str(tmp_path / "gradio" / ".." / "secret.txt"), None, ""):
        with pytest.raises(InputError):
            _uploaded_file(path)

    uploads = tmp_path / "uploads"
    first, created = store_upload(received, uploads, 1 << 20)
    again, created_again = store_upload(received, uploads, 1 << 20)
    assert created and not created_again and first == again and first.name == "bai.txt"
    other = tmp_path / "gradio" / "def" / "bai.txt"
    other.parent.mkdir()
    other.write_text("Bài hai, của người khác", encoding="utf-8")
    second, _ = store_upload(other, uploads, 1 << 20)
    assert second != first and second.name == "bai.txt"
    assert first.read_text(encoding="utf-8") == "Bài một" and second.read_text(encoding="utf-8").startswith("Bài hai")


def test_every_refusal_reason_is_said_in_vietnamese(hash_settings, tmp_path):
    from qa import pipeline
    from qa.ui import vietnamese_reason

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "nhi-phan.txt").write_bytes(b"\x00\x01binary\x00" * 50)
    (bad / "anh.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (bad / "rong.txt").write_bytes(b"")
    (bad / "trang.txt").write_text("   \n\n  ", encoding="utf-8")
    (bad / "lon.txt").write_bytes(b"a" * (6 * 1024 * 1024))
    (bad / "trang.html").write_text("<html><body><script>x()</script></body></html>", encoding="utf-8")
    (bad / "ngan.txt").write_text("Ngắn.", encoding="utf-8")
    (bad / "tcvn3.txt").write_bytes("Tr\u00ac\u00eang ti\u00d5ng ViÖt cña tØnh Hµ Nam n\u00a8m 2021 ®· ®\u00b8nh gi\u00b8 "
                                    "c\u00b8c chØ sè c¶i c\u00b8ch hµnh chÝnh".encode("latin-1") * 4)
    report = pipeline.ingest([bad], hash_settings)
    assert len(report.refused) >= 6
    general = vietnamese_reason("something this table has never seen")
    for refusal in report.refused:
        said = vietnamese_reason(refusal.reason)
        assert said != general, refusal.reason  # a known reason, told precisely
