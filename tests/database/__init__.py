"""Database tests: refsync's own functions called in process against a real PostgreSQL (the
`dbpair`, `pg_server` and `statement_log` fixtures of tests/fixtures/pg.py start one for the
session): the golden scenarios, the apply invariants, the guard and read-only sessions on a
live connection, the privilege check."""
