"""What the server and the devices of a federation share, without Flower: the run
configuration (`config`) and one device's side of a round (`device_node`).

Must not import: flwr, httpx, fastapi, or our server/, clients/ and fedhybrid/.
"""
