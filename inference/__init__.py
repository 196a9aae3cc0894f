"""The device engine: decode loop, routing policies, reward head, device model runner, device
correction cache with its automaton index, LoRA application, privacy policy, tier profiles,
tokenizer and zoo loading.

Must not import: flwr, httpx, fastapi, uvicorn, or our server/, clients/, fleet/, serving/,
training/ and workloads/ (it runs on a device, under any transport).
"""
