"""Baken: anonymous online help chat for victims of human trafficking and exploitation."""

__version__ = "0.1.0"
