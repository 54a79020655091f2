"""Extractive answers: candidate features, the learned ranker, baselines, training questions."""
