"""Fakes of DCC APIs (see README.md)."""
