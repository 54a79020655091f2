"""The index kept in a Milvus collection, and search over it (the `milvus` extra)."""
