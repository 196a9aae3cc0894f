"""Workloads: the data requests are made of. A user's files (`requests` JSONL records,
`files` for CSV/Parquet/folders and column mapping, `graders`), and the generated ones
(wordmath problems, `paraphrase` problems the zoo never saw, standard-library code, the
fleet's recurring query mix).

Must not import: torch, transformers, flwr, httpx, fastapi, or any other package of ours.
"""
