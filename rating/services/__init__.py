"""Service volumes per unit and day from a bureau's business systems (participation)."""
