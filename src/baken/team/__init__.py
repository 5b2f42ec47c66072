"""Team operations (issue 15, items 1, 3, 4, 7): counselors' capacity; statuses live in presence
(realtime/staff_status.py)."""
