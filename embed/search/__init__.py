"""Search over an index: dense and BM25 rankings fused, duplicates collapsed, highlights."""
