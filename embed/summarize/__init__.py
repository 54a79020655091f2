"""Extractive article summaries: sentence features, the learned scorer, the summarizer."""
