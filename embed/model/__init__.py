"""Embedding models: the encoder protocol, the base and built-in static models, a linear scorer."""
