"""Ratings of shops by residents who scanned them, and complaints about shops."""
