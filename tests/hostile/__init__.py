"""A corpus of hostile and broken submissions (see corpus.py)."""
