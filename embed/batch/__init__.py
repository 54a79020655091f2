"""Offline batch work: corpus summaries and their file formats, and index building on Ray."""
