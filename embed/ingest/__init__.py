"""Reading files into articles: pages, JSONL, PDF, scans, Word, web pages, shards."""
