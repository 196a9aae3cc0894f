"""HTTP serving: the OpenAI-compatible layer and the cloud engine with prefix reuse
(`cloud_server`, `prefix_engine`), the remote-cloud client with its circuit breaker
(`remote_cloud`), and the process launcher for tests and benches (`launch`).

Must not import: flwr, or our server/, clients/, fleet/ (serving knows nothing of rounds).
"""
