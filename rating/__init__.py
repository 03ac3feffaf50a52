"""Pingjing web service: settings, store, officer tokens, citizen pages, CLI."""

__version__ = "0.1.0"
