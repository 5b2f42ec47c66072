"""Warm hand-off (issue 17, item 3): partner professionals invited into one conversation."""
