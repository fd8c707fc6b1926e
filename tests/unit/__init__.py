"""Unit tests: pure Python, in process, milliseconds each. No server of any kind (no
PostgreSQL, no HTTP fake), no subprocess, no Docker: `pytest tests/unit` needs nothing but
the virtual environment. Their helpers are in tests/fixtures/."""
