"""The default profile: the config a run without a `config` input uses.

It is `profiles/default.yml`, the file users copy, written out as Python so that a run of the
default profile imports neither PyYAML nor pydantic. `tests/unit/test_config.py` holds the two
to be equal, field for field and in their canonical form (the one the plan digest hashes),
and the config checks run on this one as on any other (`Config.__post_init__`).
"""

from __future__ import annotations

from refsync.config import Config, FingerprintConfig, Match, TableConfig


def default_profile() -> Config:
    return Config(
        version=1,
        fingerprint=FingerprintConfig(
            table="database_metadata",
            id_column="id",
            id="singleton",
            environment_column="environment",
            fingerprint_column="fingerprint",
            dev="dev",
            prod="prod",
        ),
        tables=[
            TableConfig(
                name="service_categories",
                schema_="public",
                match=Match(slug_from="name"),
                compare=["name", "description", "icon", "isActive"],
            ),
            TableConfig(
                name="services",
                schema_="public",
                match=Match(slug_from="name"),
                compare=["name", "description", "price", "categoryId", "isActive"],
                references={"categoryId": "service_categories"},
                protected_by=["bookings.serviceId", "provider_services.serviceId"],
                exclude=[],
            ),
        ],
    )
