"""Venue adapters: the interface and its implementations."""
