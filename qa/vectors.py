"""The dense index (FAISS): exact inner product while small, IVF beyond a measured size; ids = chunk positions."""

from __future__ import annotations

import numpy as np

# benchmarks/scale.py, 2 cores: exact search takes 1 ms at 10k chunks and 16 ms at 100k; IVF-Flat
# (nlist ≈ 4√n, nprobe 32) takes 0.3 ms at 100k with recall@10 0.999 against exact.
NPROBE = 32
ADD_BLOCK = 65_536  # vectors copied from the exact index into the IVF at a time (`grow`)


def _faiss():
    import faiss

    return faiss


def new_index(dim: int):
    """An empty exact index whose ids are chunk positions."""
    faiss = _faiss()
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def kind(index) -> str:
    return "ivf" if isinstance(_faiss().downcast_index(index), _faiss().IndexIVF) else "flat"


def grow(index, threshold: int):
    """The index to keep: the exact one until it holds `threshold` vectors, then an IVF trained on them."""
    faiss = _faiss()
    if kind(index) == "ivf" or index.ntotal < threshold:
        return index
    flat = faiss.downcast_index(index.index)
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    nlist = int(min(4 * np.sqrt(len(ids)), len(ids) / 40))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(index.d), index.d, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(len(ids), min(len(ids), 64 * nlist), replace=False)
    ivf.train(flat.reconstruct_batch(sample))
    # Copied in blocks, not all at once: the flat and the IVF index are the peak, not a third copy. The
    # blocks are multiples of the quantizer's BLAS blocks (4,096 queries) and the tail joins the last
    # block (a short one would take FAISS's non-BLAS path), so every vector gets the list it got in one add.
    lo, n = 0, len(ids)
    while lo < n:
        hi = n if n - lo < 2 * ADD_BLOCK else lo + ADD_BLOCK
        ivf.add_with_ids(flat.reconstruct_n(lo, hi - lo), ids[lo:hi])
        lo = hi
    return ivf


def search(index, vector: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(position, cosine) of the n nearest chunks, optionally among allowed positions only; best first."""
    faiss = _faiss()
    if index.ntotal == 0 or (allowed is not None and allowed.size == 0):
        return []
    sel = faiss.IDSelectorBatch(allowed.astype(np.int64)) if allowed is not None else None
    if kind(index) == "ivf":
        params = faiss.SearchParametersIVF(nprobe=NPROBE, sel=sel)
    else:
        params = faiss.SearchParameters(sel=sel) if sel is not None else None
    sims, ids = index.search(vector.reshape(1, -1).astype(np.float32), min(n, index.ntotal), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], sims[0]) if i >= 0]


def read(path, mmap: bool = False) -> object:
    """A saved index; with mmap, read-only and memory-mapped (start-up reads only the header, and
    the page cache is shared between processes serving the same index)."""
    faiss = _faiss()
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
    return faiss.read_index(str(path), flags)


def write(index, path) -> None:
    _faiss().write_index(index, str(path))
