"""The leaders' team coordination bot."""

__version__ = "0.1.0"
