"""Opening hours, holidays and the closed state (issue 3, part 2)."""
