"""Synthetic demo data. Never real data."""
