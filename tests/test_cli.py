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
