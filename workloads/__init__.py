"""Workloads: the data requests are made of (generated wordmath problems, standard-library
code, the fleet's recurring query mix).

Must not import: torch, transformers, flwr, httpx, fastapi, or any other package of ours.
"""
