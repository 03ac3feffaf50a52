"""The work-order importer's file reader is the shared one (rating/tabular.py); this
module keeps the names the importer's modules import from it."""

from __future__ import annotations

from rating.tabular import *  # noqa: F403
from rating.tabular import __all__ as __all__
