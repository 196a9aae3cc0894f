"""Aggregation: LoRA math as pure numpy functions (`lora_math`) and the Flower strategy over it
(`federated_lora`).

Must not import: torch, transformers, httpx, fastapi, or our inference/, serving/, server/,
clients/ (aggregation math stays testable without models or transport).
"""
