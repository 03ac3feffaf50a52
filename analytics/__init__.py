"""Loading ratings and work orders into frames; metrics and reports."""

# Here rather than in analytics.weekly so the CLI can build its parser without pandas.
FORMATS = ("xlsx", "html", "csv")
