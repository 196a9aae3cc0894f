"""The Flower ServerApp and the server's federated state: rounds, merges, releases, persistence.

Must not import: clients/ or serving/ (the server talks to devices only through Flower
Messages).
"""
