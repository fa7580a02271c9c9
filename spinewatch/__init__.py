"""spinewatch: lower-back movement monitoring after lumbar spine surgery."""

__version__ = "0.1.0"
