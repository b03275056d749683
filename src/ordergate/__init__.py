"""ordergate: a self-hosted trading execution platform."""

__version__ = "0.1.0"
