"""Correction-cache data: count tables, idempotent merges, envelopes. No transport here."""
