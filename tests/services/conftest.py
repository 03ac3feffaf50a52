"""The analytics tests' seeded database (roster in a closed SQLite file) for CLI tests."""

from tests.analytics.conftest import seeded_file  # noqa: F401  (a fixture, used by name)
