"""The policies the guard's unit tests check statements against, and a helper that returns
the reason of a refusal (not the message, which quotes the statement)."""

from __future__ import annotations

import pytest

from refsync.errors import GuardError
from refsync.guard import Policy, check

SERVICES = ("public", "services")
CATEGORIES = ("public", "service_categories")
METADATA = ("public", "database_metadata")
BOOKINGS = ("public", "bookings")
PROVIDER_SERVICES = ("public", "provider_services")

#: Dry-run and dev: reference and fingerprint tables readable, one column of two business tables.
READ_ONLY = Policy(
    readable=frozenset({SERVICES, CATEGORIES, METADATA}),
    column_readable={
        BOOKINGS: frozenset({"serviceId"}),
        PROVIDER_SERVICES: frozenset({"serviceId"}),
    },
)
#: Apply: the reference tables writable too, their primary keys never assigned.
APPLY = Policy(
    readable=READ_ONLY.readable,
    column_readable=READ_ONLY.column_readable,
    writable=frozenset({SERVICES, CATEGORIES}),
    immutable={SERVICES: frozenset({"id"}), CATEGORIES: frozenset({"id"})},
)


def refusal(statement: str, policy: Policy = APPLY) -> str:
    """The reason the guard gives for refusing `statement` (fails if it is allowed)."""
    with pytest.raises(GuardError) as refused:
        check(statement, policy)
    return refused.value.reason
