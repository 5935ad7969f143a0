"""Bulletin Watch: crawl, extract and digest public security bulletins."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
