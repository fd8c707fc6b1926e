"""Repository checks: the project's own files and tools rather than refsync's behaviour. The
action and workflow files (schemas, linters), the release tooling, the docs (links, the
executable setup guide), the test harness, the CI seed, the benchmark and mutation scripts,
and the stand-in runner for composite actions. Some start a PostgreSQL or a subprocess."""
