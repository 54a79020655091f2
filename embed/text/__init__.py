"""Text rules: sentences, words (jieba), page cleaning, passages, keywords."""
