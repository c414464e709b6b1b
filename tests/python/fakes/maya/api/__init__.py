"""Fake ``maya.api``."""
