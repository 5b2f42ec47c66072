"""Service figures and visitor feedback (issue 3, part 6)."""
