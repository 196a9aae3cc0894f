"""The Flower ServerApp and the server's federated state (rounds, merges, releases)."""
