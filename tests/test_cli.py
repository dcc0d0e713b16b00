"""The `qa` command as users run it: real processes, real index, real model."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SEEDS

QA = [sys.executable, "-m", "qa.cli"]


def run(args, index_dir, stdin=None, timeout=300):
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir)}
    return subprocess.run(QA + args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def test_ask_prints_answer_and_numbered_citations(seed_settings):
    out = run(["ask", "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"], seed_settings.index_dir)
    assert out.returncode == 0, out.stderr
    assert "Hà Nam" in out.stdout.splitlines()[0]
    assert "[1] " in out.stdout and "tụt 17 bậc" in out.stdout


def test_ask_json_has_the_documented_fields_and_exact_offsets(seed_settings, assistant):
    out = run(["ask", "--json", "Chỉ số PAR Index năm 2021 của Hà Nam xếp thứ bao nhiêu?"], seed_settings.index_dir)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "citations"} <= data.keys()
    fields = {"n", "article_id", "file", "title", "source", "date", "province", "start", "end", "text", "score"}
    assert data["citations"] and all(fields <= c.keys() for c in data["citations"])
    for c in data["citations"]:
        assert assistant.article(c["article_id"]).text[c["start"] : c["end"]] == c["text"]
    assert "60/63" in data["citations"][0]["text"]


def test_ask_json_batch_reads_one_question_per_line(seed_settings):
    questions = "Ai là Chủ tịch UBND tỉnh Hà Nam?\n\nnghi quyet 57 cai cach hanh chinh lang son\n   \n"
    out = run(["ask", "--json"], seed_settings.index_dir, stdin=questions)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["question"] for x in lines] == ["Ai là Chủ tịch UBND tỉnh Hà Nam?", "nghi quyet 57 cai cach hanh chinh lang son"]


def test_show_prints_the_article_with_metadata(seed_settings, assistant):
    art = next(a for a in assistant.reader().articles() if a.file.startswith("002_"))
    out = run(["show", art.id], seed_settings.index_dir)
    assert out.returncode == 0 and "Hà Nam" in out.stdout and "tụt 17 bậc" in out.stdout
    bad = run(["show", "../../etc/passwd"], seed_settings.index_dir)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "error:" in bad.stderr


def test_errors_are_one_line_without_traceback(tmp_path, seed_settings):
    no_index = run(["ask", "Hà Nam?"], tmp_path / "nothing")
    assert no_index.returncode != 0 and "qa ingest" in no_index.stderr and "Traceback" not in no_index.stderr
    empty = run(["ask", "   "], seed_settings.index_dir)
    assert empty.returncode != 0 and "empty" in empty.stderr and "Traceback" not in empty.stderr


def test_ingest_reports_refused_files_and_exits_non_zero(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "001_02cd78e828767b57.txt", folder / "bài viết số 1.txt")
    (folder / "rỗng.txt").write_text("   \n", encoding="utf-8")
    (folder / "ảnh.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    index = tmp_path / "index"
    out = run(["ingest", "--quiet", str(folder)], index)
    assert out.returncode == 1, out.stderr
    refused = [line for line in out.stderr.splitlines() if line.startswith("refused:")]
    assert len(refused) == 2 and "Traceback" not in out.stderr
    assert "1 added" in out.stderr and "2 refused" in out.stderr
    again = run(["ingest", "--quiet", str(folder / "bài viết số 1.txt")], index)
    assert again.returncode == 0 and "1 unchanged" in again.stderr
    listed = run(["list", "--json"], index)
    assert len(listed.stdout.splitlines()) == 1


@pytest.mark.parametrize("args", [["remove", "0000000000000000"], ["eval", "/nonexistent.jsonl"]])
def test_more_clear_errors(args, seed_settings, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, index)
    out = run(args, index)
    assert out.returncode != 0 and "Traceback" not in out.stderr


def test_ingest_on_cuda_uses_a_gpu_or_says_there_is_none(tmp_path, seed_settings):
    """`--device cuda` embeds on a GPU where ONNX Runtime has one; elsewhere one sentence, and the
    index is left as it was."""
    import onnxruntime as ort

    index = tmp_path / "index"
    shutil.copytree(seed_settings.index_dir, index)
    before = (index / "manifest.json").read_bytes()
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "bài mới.txt").write_text("Tỉnh Hà Nam tổ chức hội nghị về chuyển đổi số.\n\n" * 5, encoding="utf-8")
    out = run(["ingest", "--quiet", "--device", "cuda", str(folder)], index)
    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert out.returncode == 0 and "1 added" in out.stderr, out.stderr
    else:
        assert out.returncode == 2 and "CUDA" in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        assert (index / "manifest.json").read_bytes() == before


def run_env(args, index_dir, timeout=300, **env):
    """`qa` with extra environment variables (args may hold bytes: a terminal that is not UTF-8)."""
    full = {**os.environ, "QA_INDEX_DIR": str(index_dir), **env}
    return subprocess.run(QA + args, capture_output=True, env=full, timeout=timeout)


def one_error_line(out, *words):
    err = out.stderr.decode() if isinstance(out.stderr, bytes) else out.stderr
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "unexpected" not in err and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], err
    return lines[0]


@pytest.mark.parametrize("var, value", [("QA_COMMIT_EVERY", "0"), ("QA_CANDIDATES", "0"),
                                        ("QA_MAX_FILE_MB", "nan"), ("QA_MAX_FILE_MB", "-1"),
                                        ("QA_TOP_K", "five"), ("QA_FUSION", "max"), ("QA_DEVICE", "tpu"),
                                        ("QA_CHUNK_OVERLAP", "700"), ("QA_TOPK", "5")])
def test_bad_settings_are_one_sentence_naming_the_variable(tmp_path, var, value):
    out = run_env(["list"], tmp_path / "index", **{var: value})
    assert out.returncode == 2
    one_error_line(out, var)


def test_file_names_cannot_break_or_fake_output_lines(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt\nrefused: giả.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "\u202eevil\x1b[31m.txt").write_bytes(b"")
    shutil.copy(SEEDS / "001_02cd78e828767b57.txt", os.fsdecode(bytes(folder) + b"/t\xe0i li\xeau.txt"))
    out = run_env(["ingest", "--quiet", str(folder)], tmp_path / "index")
    lines = out.stderr.decode().splitlines()
    assert out.returncode == 1 and len(lines) == 3 and "unexpected" not in out.stderr.decode(), lines
    assert lines[0].startswith("refused: x.txt\\nrefused: giả.txt: ")  # the newline shown as \n, one line
    assert lines[1].startswith("refused: \\u202eevil\\x1b[31m.txt: ")
    assert lines[2].startswith("1 added")
    listed = run_env(["list"], tmp_path / "index")
    assert listed.returncode == 0 and "t\\xe0i li\\xeau.txt" in listed.stdout.decode()


def test_a_question_that_is_not_utf8_is_one_sentence(seed_settings):
    out = run_env(["ask", b"H\xe0 Nam x\xe9p th\xf9 m\xe2y?"], seed_settings.index_dir)
    assert out.returncode == 2
    one_error_line(out, "UTF-8")
    batch = run_env(["ask", "--json"], seed_settings.index_dir)  # nothing on stdin: nothing to answer
    assert batch.returncode == 0
    lines = subprocess.run(QA + ["ask", "--json"], input=b"H\xe0 Nam\nH\xc3\xa0 Nam\n", capture_output=True,
                           env={**os.environ, "QA_INDEX_DIR": str(seed_settings.index_dir)}, timeout=300)
    rows = [json.loads(x) for x in lines.stdout.decode().splitlines()]
    assert lines.returncode == 1 and "UTF-8" in rows[0]["error"] and rows[1]["question"] == "Hà Nam"


def _hash_index(tmp_path):
    index = tmp_path / "index"
    out = run_env(["ingest", "--quiet", str(SEEDS)], index, QA_EMBEDDER="hash")
    assert out.returncode == 0, out.stderr
    return index


@pytest.mark.parametrize("damage", ["sqlite missing", "sqlite garbage", "faiss truncated", "faiss missing",
                                    "manifest incomplete"])
def test_plain_ingest_on_a_damaged_index_names_the_rebuild(tmp_path, damage):
    index = _hash_index(tmp_path)
    manifest = json.loads((index / "manifest.json").read_text())
    sqlite, faiss = index / manifest["files"]["sqlite"], index / manifest["files"]["faiss"]
    if damage == "sqlite missing":
        sqlite.unlink()
    elif damage == "sqlite garbage":
        sqlite.write_bytes(b"not a database" * 100)
    elif damage == "faiss truncated":
        faiss.write_bytes(faiss.read_bytes()[:1000])
    elif damage == "faiss missing":
        faiss.unlink()
    else:
        del manifest["files"]  # an edited manifest: the same model and settings, but no file names
        (index / "manifest.json").write_text(json.dumps(manifest))
    new = tmp_path / "new.txt"
    new.write_text("Tỉnh Hà Nam tổ chức hội nghị về chuyển đổi số năm 2022.\n\n" * 3, encoding="utf-8")
    out = run_env(["ingest", "--quiet", str(new)], index, QA_EMBEDDER="hash")
    assert out.returncode == 2
    one_error_line(out, "qa ingest --rebuild")
    again = run_env(["ingest", "--quiet", "--rebuild", str(new)], index, QA_EMBEDDER="hash")
    assert again.returncode == 0 and b"1 added" in again.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (root may mount one; elsewhere the test is skipped)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_and_a_read_only_folder_are_one_sentence_and_the_index_stays(tmp_path, small_disk):
    index = small_disk / "index"
    assert run_env(["ingest", "--quiet", str(SEEDS)], index, QA_EMBEDDER="hash").returncode == 0
    before = (index / "manifest.json").read_bytes()
    files = sorted(p.name for p in index.iterdir())
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 64 * 1024))  # 64 KB left: less than the store's copy
    more = tmp_path / "more"
    more.mkdir()
    for i in range(3):
        (more / f"{i}.txt").write_text(f"Tỉnh Hà Nam lần {i} tổ chức hội nghị chuyển đổi số.\n\n" * 20, encoding="utf-8")
    full = run_env(["ingest", "--quiet", str(more)], index, QA_EMBEDDER="hash")
    assert full.returncode == 2
    one_error_line(full, "no space", "free some space")
    assert (index / "manifest.json").read_bytes() == before and sorted(p.name for p in index.iterdir()) == files
    (small_disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    ro = run_env(["ingest", "--quiet", str(more)], index, QA_EMBEDDER="hash")
    assert ro.returncode == 2
    one_error_line(ro, "read-only")
    ask = run_env(["ask", "--json", "Hà Nam tụt bao nhiêu bậc?"], index, QA_EMBEDDER="hash")
    assert ask.returncode == 0 and json.loads(ask.stdout)["citations"]  # the index still answers
