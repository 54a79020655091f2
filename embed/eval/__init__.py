"""`policyqa eval`: QA and summary metrics, ROUGE, strict JSON-lines reading."""
