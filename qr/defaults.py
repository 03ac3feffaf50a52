"""Badge defaults that the CLI needs while building its parser, without importing numpy."""

from __future__ import annotations

FORMATS = ("png", "svg", "pdf")
DEFAULT_SIZE_MM = 40.0
DEFAULT_DPI = 600
