"""The Flower ClientApp: a thin adapter from Messages to `fleet.device_node` calls.

Must not import: server/ (what both sides share lives in fleet/).
"""
