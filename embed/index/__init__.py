"""The search index: passages, vectors (FAISS), BM25; built, updated, saved and loaded."""
