"""Past one machine: an index split into shards (each a normal index folder), searched together with
the whole collection's BM25 statistics, on this machine or on a Ray cluster (the optional extra
`cluster`; only qa/cluster/serve.py, client.py and ingest.py import Ray). docs/scaling.md."""
