"""The index folder: round trip, incremental ingest, removal, atomicity, mismatch errors."""

import json
import shutil
import time
from dataclasses import replace

import numpy as np
import pytest
from conftest import SEEDS

from qa import pipeline
from qa.errors import IndexMismatch, IndexMissing
from qa.pipeline import Assistant, _prefetch
from qa.store import IndexReader


def _copy_seeds(tmp_path, names=None):
    folder = tmp_path / "articles"
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt")):
        if names is None or p.name in names:
            shutil.copy(p, folder / p.name)
    return folder


def _chunk_rows(settings):
    reader = IndexReader(settings.index_path)
    rows = reader.db.execute('SELECT pos, article_id, ordinal, start, "end", text FROM chunks ORDER BY pos').fetchall()
    return [tuple(r) for r in rows]


def test_round_trip_and_offsets(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path)
    report = pipeline.ingest([folder], hash_settings)
    assert len(report.added) == 5 and report.chunks_added > 0
    reader = IndexReader(hash_settings.index_path)
    assert reader.manifest["counts"] == {"articles": 5, "chunks": report.chunks_added}
    assert reader.dense.ntotal == report.chunks_added == len(reader.lexical)
    for art in reader.articles():
        positions = reader.positions_of([art.id]).tolist()
        chunks = reader.chunks(positions)
        assert chunks
        for c in chunks.values():
            assert art.text[c.start : c.end] == c.text
    # what was stored is what the chunker makes of each stored article, in order, and reads back the same
    # through the reader's own lookups
    from qa.chunk import chunk_article

    rows = _chunk_rows(hash_settings)
    expected = []
    for art in sorted(reader.articles(), key=lambda a: min(reader.positions_of([a.id]).tolist())):
        size, overlap = hash_settings.chunk_size, hash_settings.chunk_overlap
        expected += [(art.id, c.ordinal, c.start, c.end, c.text) for c in chunk_article(art, size, overlap)]
    assert [r[1:] for r in rows] == expected
    by_pos = reader.chunks([r[0] for r in rows])
    assert [(by_pos[r[0]].article_id, by_pos[r[0]].text) for r in rows] == [(r[1], r[5]) for r in rows]


def test_incremental_ingest_adds_only_new_chunks(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt", "001_02cd78e828767b57.txt"})
    pipeline.ingest([folder], hash_settings)
    before = _chunk_rows(hash_settings)
    gen_before = IndexReader(hash_settings.index_path).generation

    again = pipeline.ingest([folder], hash_settings)  # unchanged: nothing happens
    assert again.added == [] and len(again.unchanged) == 2 and again.manifest is None
    assert IndexReader(hash_settings.index_path).generation == gen_before

    shutil.copy(SEEDS / "002_1e67a61f8ae727bb.txt", folder)
    report = pipeline.ingest([folder], hash_settings)
    after = _chunk_rows(hash_settings)
    assert len(report.added) == 1 and len(report.unchanged) == 2
    assert after[: len(before)] == before  # old chunks untouched
    assert len(after) == len(before) + report.chunks_added
    assert len({r[1:3] for r in after}) == len(after)  # no duplicate (article, ordinal)


def test_grouped_embedding_stores_each_article_its_own_vectors(hash_settings, tmp_path):
    """Ingest embeds the chunks of several new articles in one call: the rows and vectors must be
    those of embedding each article alone."""
    from qa.embed import HashEmbedder

    folder = _copy_seeds(tmp_path)
    alone = replace(hash_settings, index_dir=str(tmp_path / "alone"), embed_group=1)
    grouped = replace(hash_settings, index_dir=str(tmp_path / "grouped"), embed_group=10_000)
    for s in (alone, grouped):
        assert len(pipeline.ingest([folder], s).added) == 5
    rows = _chunk_rows(grouped)
    assert rows == _chunk_rows(alone) and len(rows) > 5
    readers = [IndexReader(s.index_path) for s in (alone, grouped)]
    stored = [np.stack([r.dense.reconstruct(int(row[0])) for row in rows]) for r in readers]
    assert np.array_equal(stored[0], stored[1])
    assert np.allclose(stored[1], HashEmbedder().embed_passages([row[5] for row in rows]))


def test_same_article_under_two_names_is_ingested_once(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"003_a7fd09347936ea53.txt"})
    shutil.copy(folder / "003_a7fd09347936ea53.txt", folder / "bản sao có dấu cách.txt")
    report = pipeline.ingest([folder], hash_settings)
    assert len(report.added) == 1 and len(report.duplicates) == 1
    assert IndexReader(hash_settings.index_path).manifest["counts"]["articles"] == 1


def test_changed_file_replaces_its_article(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"004_e6d35a45ef2bf389.txt"})
    pipeline.ingest([folder], hash_settings)
    old_id = IndexReader(hash_settings.index_path).articles()[0].id
    path = folder / "004_e6d35a45ef2bf389.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nĐoạn bổ sung: tỉnh đặt mục tiêu 99 xã nông thôn mới.",
                    encoding="utf-8")
    pipeline.ingest([folder], hash_settings)
    arts = IndexReader(hash_settings.index_path).articles()
    assert len(arts) == 1 and arts[0].id != old_id and "99 xã" in arts[0].text
    assert all(r[1] == arts[0].id for r in _chunk_rows(hash_settings))


def test_remove_article(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt", "001_02cd78e828767b57.txt"})
    pipeline.ingest([folder], hash_settings)
    reader = IndexReader(hash_settings.index_path)
    victim = reader.articles()[0].id
    assert pipeline.remove([victim, "0123456789abcdef"], hash_settings) == ["0123456789abcdef"]
    reader = IndexReader(hash_settings.index_path)
    assert [a.id for a in reader.articles()] != [] and victim not in {a.id for a in reader.articles()}
    assert reader.dense.ntotal == reader.manifest["counts"]["chunks"] == len(reader.lexical)
    assert victim not in {r[1] for r in _chunk_rows(hash_settings)}


def _generation_files(index):
    manifest = json.loads((index / "manifest.json").read_text())
    paths = [index / "manifest.json"] + [index / f for f in manifest["files"].values()]
    return {str(f.relative_to(index)): f.read_bytes() for p in paths for f in ([p] if p.is_file() else sorted(p.rglob("*")))
            if f.is_file()}


def _tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_spilled_to_many_runs_writes_the_same_index(hash_settings, tmp_path):
    """QA_LEXICAL_SPILL tiny (the lexical postings go to dozens of sorted runs on disk, then are merged):
    a first build and an incremental one write the lexical files the in-memory build of the stored
    terms writes, byte for byte, the FAISS file of a one-run build, and leave no runs behind."""
    from qa.lexical import LexicalIndex

    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt", "001_02cd78e828767b57.txt"})
    one = replace(hash_settings, index_dir=str(tmp_path / "one"))
    many = replace(hash_settings, index_dir=str(tmp_path / "many"), lexical_spill=200)
    for step in range(2):
        if step:
            for p in SEEDS.glob("*.txt"):
                shutil.copy(p, folder / p.name)
        for s in (one, many):
            pipeline.ingest([folder], s)
        reader = IndexReader(many.index_path)
        rows = reader.db.execute("SELECT pos, tokens FROM chunks ORDER BY pos").fetchall()
        assert sum(len(r[1].split(" ")) for r in rows) > 20 * 200  # dozens of runs
        LexicalIndex.build([r[1].split(" ") for r in rows], np.array([r[0] for r in rows])).save(tmp_path / f"mem{step}")
        assert _tree(tmp_path / f"mem{step}") == _tree(many.index_path / reader.manifest["files"]["lexical"])
        a, b = (_generation_files(s.index_path) for s in (one, many))
        assert [v for k, v in a.items() if k.endswith(".faiss")] == [v for k, v in b.items() if k.endswith(".faiss")]
        assert not list(many.index_path.glob(".lexical-*"))
    q = "Chỉ số PAR Index của tỉnh xếp thứ bao nhiêu"
    hits = [[(h.chunk.text, h.score) for h in Assistant(s).search(q)] for s in (one, many)]
    assert hits[0] and hits[0] == hits[1]


def test_a_failed_commit_leaves_the_previous_index(hash_settings, tmp_path):
    """The merge of the spilled runs fails in the commit (a run's file is lost under the writer): the
    error reaches the caller, the previous generation is still the index, byte for byte, with the same
    answers, the failed generation's files and runs are gone, and the next ingest succeeds."""
    from qa.embed import load_embedder
    from qa.ingest import load_article

    settings = replace(hash_settings, lexical_spill=200)
    names = {"000_88f03a1fd3c72d70.txt", "001_02cd78e828767b57.txt"}
    folder = _copy_seeds(tmp_path, names=names)
    pipeline.ingest([folder], settings)
    index = settings.index_path
    before = _generation_files(index)
    listing = sorted(p.name for p in index.iterdir())
    q = "Chỉ số PAR Index của tỉnh xếp thứ bao nhiêu"
    hits = [(h.chunk.text, h.score) for h in Assistant(settings).search(q)]
    embedder = load_embedder(settings)
    new = [load_article(p, 10**7, settings.max_article_chars, settings)
           for p in sorted(SEEDS.glob("*.txt")) if p.name not in names]
    with pytest.raises(FileNotFoundError):
        with pipeline.open_writer(settings, embedder) as writer:
            pipeline.add_articles(writer, new, embedder, settings)
            runs = sorted(index.glob(".lexical-*.runs/run-*"))
            assert len(runs) >= 5
            (runs[2] / "folded" / "tfs.bin").unlink()
            writer.commit()
    assert _generation_files(index) == before
    assert sorted(p.name for p in index.iterdir()) == listing
    assert [(h.chunk.text, h.score) for h in Assistant(settings).search(q)] == hits
    for p in SEEDS.glob("*.txt"):
        shutil.copy(p, folder / p.name)
    assert len(pipeline.ingest([folder], settings).added) == 3
    assert IndexReader(index).manifest["counts"]["articles"] == 5


def test_missing_index_is_a_clear_error(hash_settings):
    with pytest.raises(IndexMissing, match="qa ingest"):
        Assistant(hash_settings).ask("Hà Nam xếp thứ mấy?")


def test_model_mismatch_is_a_clear_error(hash_settings, tmp_path):
    pipeline.ingest([_copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt"})], hash_settings)
    manifest_path = hash_settings.index_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = "some-other-model"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="some-other-model"):
        Assistant(hash_settings).ask("Lạng Sơn")
    with pytest.raises(IndexMismatch, match="--rebuild"):
        pipeline.ingest([SEEDS / "001_02cd78e828767b57.txt"], hash_settings)


def test_other_format_and_damage_are_clear_errors_and_rebuild_repairs(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt"})
    pipeline.ingest([folder], hash_settings)
    reader = IndexReader(hash_settings.index_path)
    faiss_file = hash_settings.index_path / reader.manifest["files"]["faiss"]
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])  # truncated
    with pytest.raises(IndexMismatch, match="rebuild"):
        IndexReader(hash_settings.index_path)
    pipeline.ingest([folder], hash_settings, rebuild=True)
    assert IndexReader(hash_settings.index_path).manifest["counts"]["articles"] == 1

    manifest_path = hash_settings.index_path / "manifest.json"
    manifest_path.write_text(manifest_path.read_text().replace('"format": 1', '"format": 99'))
    with pytest.raises(IndexMismatch, match="format"):
        IndexReader(hash_settings.index_path)


def test_chunking_change_needs_rebuild(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt"})
    pipeline.ingest([folder], hash_settings)
    with pytest.raises(IndexMismatch, match="chunking"):
        pipeline.ingest([SEEDS / "001_02cd78e828767b57.txt"], replace(hash_settings, chunk_size=400))


def test_old_generations_are_pruned(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt"})
    pipeline.ingest([folder], hash_settings)
    for name in ("001_02cd78e828767b57.txt", "002_1e67a61f8ae727bb.txt", "003_a7fd09347936ea53.txt"):
        pipeline.ingest([SEEDS / name], hash_settings)
    gens = {p.name.split(".")[0].split("-")[1] for p in hash_settings.index_path.iterdir() if "-" in p.name}
    assert len(gens) == 2  # the current generation and the previous one


def test_large_index_switches_to_ivf_and_still_finds_adds_and_removes(hash_settings, tmp_path):
    from qa.retrieve import Query, Retriever

    small = replace(hash_settings, ivf_threshold=40, chunk_size=300, chunk_overlap=40)  # ~100 chunks: IVF
    folder = _copy_seeds(tmp_path)
    pipeline.ingest([folder], small)
    reader = IndexReader(small.index_path)
    assert reader.manifest["dense_index"] == "ivf" and reader.dense.ntotal == reader.manifest["counts"]["chunks"]
    from qa.embed import HashEmbedder

    retriever = Retriever(reader, HashEmbedder(), small)
    top = retriever.dense(Query.parse("Chỉ số PAR Index xếp thứ 60/63 tỉnh, thành phố tụt 17 bậc"), 5)
    assert "tụt 17 bậc" in reader.chunks([top[0][0]])[top[0][0]].text
    victim = next(a.id for a in reader.articles() if a.file.startswith("002_"))
    gone = set(reader.positions_of([victim]).tolist())
    assert top[0][0] in gone
    pipeline.remove([victim], small)
    reader = IndexReader(small.index_path)
    assert reader.manifest["dense_index"] == "ivf" and reader.dense.ntotal == reader.manifest["counts"]["chunks"]
    hits = Retriever(reader, HashEmbedder(), small).dense(Query.parse("tụt 17 bậc"), 200)
    assert hits and not gone & {p for p, _ in hits}


def test_prefetch_keeps_order_and_looks_ahead_a_bounded_number():
    started = []

    def work(i):
        started.append(i)
        return i * i

    out = []
    for value in _prefetch(work, list(range(20)), ahead=3):
        time.sleep(0.01)  # the worker has time to run ahead, but only 3 items
        assert max(started) <= len(out) + 3
        out.append(value)
    assert out == [i * i for i in range(20)]


def test_prefetch_passes_errors_to_the_consumer():
    def work(i):
        if i == 2:
            raise ValueError("bad item")
        return i

    got = []
    with pytest.raises(ValueError, match="bad item"):
        for value in _prefetch(work, list(range(5)), ahead=2):
            got.append(value)
    assert got == [0, 1]


def test_index_from_an_older_version_is_upgraded_by_any_ingest(hash_settings, tmp_path):
    folder = _copy_seeds(tmp_path)
    pipeline.ingest([folder], hash_settings)
    before = IndexReader(hash_settings.index_path)
    scores = before.lexical.scores("exact", ["chỉ_số", "par", "index"])
    (hash_settings.index_path / before.manifest["files"]["lexical"] / "format.json").unlink()  # the bm25s layout had none
    with pytest.raises(IndexMismatch, match="older version"):
        IndexReader(hash_settings.index_path)
    report = pipeline.ingest([folder], hash_settings)  # nothing new, but the lexical index is rebuilt from the store
    assert len(report.unchanged) == 5 and report.manifest is not None
    after = IndexReader(hash_settings.index_path)
    assert np.allclose(after.lexical.scores("exact", ["chỉ_số", "par", "index"]), scores)


def test_index_records_the_text_libraries_and_an_upgrade_needs_rebuild(hash_settings, tmp_path):
    from importlib.metadata import version

    folder = _copy_seeds(tmp_path, names={"000_88f03a1fd3c72d70.txt"})
    pipeline.ingest([folder], hash_settings)
    manifest_path = hash_settings.index_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    libs = manifest["chunking"]["libraries"]
    assert libs["langchain-text-splitters"] == version("langchain-text-splitters")
    assert libs["trafilatura"] == version("trafilatura")
    libs["langchain-text-splitters"] = "0.3.0"  # as if the index had been built before an upgrade of the splitter
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="--rebuild"):
        pipeline.ingest([SEEDS / "001_02cd78e828767b57.txt"], hash_settings)
    pipeline.ingest([folder], hash_settings, rebuild=True)
    assert IndexReader(hash_settings.index_path).manifest["chunking"]["libraries"]["langchain-text-splitters"] == version(
        "langchain-text-splitters")
