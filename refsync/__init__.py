"""refsync: promote reference data from a dev PostgreSQL database to production, safely."""

__version__ = "0.1.0"
