"""Model training, apart from what runs at inference time: the zoo build and its recipe,
the training loop, reward-head calibration and offline evaluation.

Must not import: flwr, httpx, fastapi, or our server/, clients/, serving/.
"""
