"""Correction-cache data: count tables, idempotent merges, versioned views, sealed envelopes
and keys. Bytes in, bytes out.

Must not import: any transport (flwr, httpx, fastapi, uvicorn, grpc, socket) nor torch, and
none of our other packages.
"""
