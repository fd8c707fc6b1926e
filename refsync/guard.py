"""The statement guard: every statement refsync sends is parsed by PostgreSQL's own parser
(pglast) and checked against a Policy before it reaches a server.

INTERFACE (implementation in progress):

    Relation = tuple[str, str]   # (schema, table), exactly as PostgreSQL stores the names

    @dataclass(frozen=True)
    class Policy:
        readable: frozenset[Relation]                 # full-row reads: reference + fingerprint tables
        column_readable: Mapping[Relation, frozenset[str]]  # business tables -> the only columns
        writable: frozenset[Relation]                 # INSERT/UPDATE/FOR UPDATE allowed (empty = read-only)
        immutable: Mapping[Relation, frozenset[str]]  # columns never assigned by UPDATE (primary keys)

    def check(statement: str, policy: Policy) -> None   # raises refsync.errors.GuardError
"""
