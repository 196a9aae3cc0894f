"""The Flower ClientApp: a thin adapter from Messages to `inference.device_node`."""
