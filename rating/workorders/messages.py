"""The work-order importer's reasons are the shared ones (rating/reasons.py); this module
keeps the names the importer's modules import from it."""

from __future__ import annotations

from rating.reasons import MESSAGES, Joined, Reason, ReasonError

__all__ = ["MESSAGES", "Joined", "Reason", "ReasonError"]
