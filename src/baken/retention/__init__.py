"""Retention: transcripts are destroyed by crypto-shredding once they are old enough."""
