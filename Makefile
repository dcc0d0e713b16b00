.PHONY: setup run test bench eval lint cluster-test

setup:
	bash scripts/setup.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench:
	.venv/bin/python benchmarks/retrieval.py
	.venv/bin/python benchmarks/embedders.py --quick

eval:
	.venv/bin/qa eval eval/seed_questions.jsonl eval/xquad_vi

lint:
	.venv/bin/ruff check qa tests benchmarks app.py

# The Ray cluster tests (a real two-node cluster on this machine; about 4 minutes): with Ray from requirements-cluster.lock.
cluster-test:
	bash scripts/setup.sh --cluster
	.venv/bin/python -m pytest -m cluster
