"""The config of SPEC section 4.3 as frozen dataclasses, and the rules that tie its entries
together (names listed once, parents first, no key both excluded and used), checked whenever a
Config is made.

`config_file` reads a user's YAML, validates each key's type and form with pydantic and makes
these from it, turning every problem into one UsageError (exit 2); the default profile is
`refsync.default_profile`, made here directly and held by a test to be exactly what
`profiles/default.yml` loads into. Neither pydantic nor PyYAML is imported on the way: a run
without a `config` input does not pay for them (about 50 ms, docs/benchmark.md attempt 21).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from refsync.model import relation_label


@dataclass(frozen=True, slots=True, kw_only=True)
class FingerprintConfig:
    table: str = "database_metadata"
    id_column: str = "id"
    id: str = "singleton"
    environment_column: str = "environment"
    fingerprint_column: str = "fingerprint"
    dev: str = "dev"
    prod: str = "prod"

    @property
    def relation(self) -> tuple[str, str]:
        schema, _, name = self.table.rpartition(".")
        return (schema or "public", name)

    def canonical(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "id_column": self.id_column,
            "id": self.id,
            "environment_column": self.environment_column,
            "fingerprint_column": self.fingerprint_column,
            "dev": self.dev,
            "prod": self.prod,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """Exactly one of the two (`config_file` refuses a file that gives both or neither)."""

    slug_from: str | None = None
    column: str | list[str] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the key is built from."""
        if self.slug_from is not None:
            return (self.slug_from,)
        if self.column is None:  # unreachable: config_file requires one of the two
            raise ValueError("match has no column")
        return (self.column,) if isinstance(self.column, str) else tuple(self.column)


@dataclass(frozen=True, slots=True, kw_only=True)
class TableConfig:
    name: str
    schema_: str = "public"
    match: Match
    compare: list[str]
    references: dict[str, str] = field(default_factory=dict)
    protected_by: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    @property
    def relation(self) -> tuple[str, str]:
        return (self.schema_, self.name)

    @property
    def label(self) -> str:
        return relation_label(self.relation)

    def protected_by_columns(self) -> list[tuple[str, str, str]]:
        """`[schema.]table.column` entries as (schema, table, column)."""
        out = []
        for entry in self.protected_by:
            parts = entry.split(".")
            if len(parts) == 2:
                out.append(("public", parts[0], parts[1]))
            elif len(parts) == 3:
                out.append((parts[0], parts[1], parts[2]))
            else:  # refused by Config's checks, kept total for mypy
                raise ValueError(entry)
        return out

    def canonical(self) -> dict[str, Any]:
        column = self.match.column
        return {
            "name": self.name,
            "schema": self.schema_,
            "match": {
                "slug_from": self.match.slug_from,
                "column": list(column) if isinstance(column, list) else column,
            },
            "compare": list(self.compare),
            "references": dict(self.references),
            "protected_by": list(self.protected_by),
            "exclude": list(self.exclude),
        }


class ConfigProblemError(ValueError):
    """A semantic config error: the key at fault (`tables[1].references.x`) and the fix."""

    def __init__(self, key: str, message: str, fix: str) -> None:
        super().__init__(f"`{key}`: {message}")
        self.key = key
        self.message = message
        self.fix = fix


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """A whole config. Making one checks the rules between its entries: a ConfigProblemError
    names the first broken one."""

    version: int = 1
    fingerprint: FingerprintConfig = field(default_factory=FingerprintConfig)
    tables: list[TableConfig]

    def __post_init__(self) -> None:
        names: dict[str, int] = {}
        relations: dict[tuple[str, str], int] = {}
        for i, table in enumerate(self.tables):
            _check_table(self, i, table, names)
            names[table.name] = i
            relations[table.relation] = i
        for i, table in enumerate(self.tables):
            _check_protected_by(self, i, table, relations)

    def table(self, name: str) -> TableConfig:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def canonical(self) -> dict[str, Any]:
        """The effective config as plain data, the form hashed into the plan digest (each key
        under the name a config file gives it)."""
        return {
            "version": self.version,
            "fingerprint": self.fingerprint.canonical(),
            "tables": [t.canonical() for t in self.tables],
        }


def _check_protected_by(
    config: Config, i: int, table: TableConfig, relations: Mapping[tuple[str, str], int]
) -> None:
    """A `protected_by` entry names business data: not a listed table, not the fingerprint."""
    for j, (schema, name, column) in enumerate(table.protected_by_columns()):
        key = f"tables[{i}].protected_by[{j}]"
        if (schema, name) in relations:
            k = relations[(schema, name)]
            raise ConfigProblemError(
                f"tables[{k}].name",
                f"`{relation_label((schema, name))}` is listed as reference data, but "
                f"`{key}` ({table.name}) names `{name}.{column}` as business data "
                "pointing at it",
                f"a business table is never synced: remove `tables[{k}]` "
                f"({relation_label((schema, name))}), or remove the `{key}` entry if it is "
                "reference data after all",
            )
        if (schema, name) == config.fingerprint.relation:
            raise ConfigProblemError(
                key,
                f"`{name}` is the fingerprint table, not business data",
                f"remove `{table.protected_by[j]}` from {table.name}.protected_by",
            )


def _check_table(config: Config, i: int, table: TableConfig, earlier: Mapping[str, int]) -> None:
    """The rules one table entry follows, given the entries before it."""
    where = f"tables[{i}]"
    _check_name(config, i, table, earlier)
    for field_name, columns in (("compare", table.compare), ("exclude", table.exclude)):
        for j, column in enumerate(columns):
            if column in columns[:j]:
                raise ConfigProblemError(
                    f"{where}.{field_name}[{j}]",
                    f"`{column}` is listed twice",
                    f"list `{column}` once in {table.name}.{field_name}",
                )
    _check_references(config, where, table, earlier)
    _check_exclude(where, table)
    for j, entry in enumerate(table.protected_by):
        parts = entry.split(".")
        if not 2 <= len(parts) <= 3 or "" in parts:
            raise ConfigProblemError(
                f"{where}.protected_by[{j}]",
                f"`{entry}` must be `table.column` or `schema.table.column`",
                "write e.g. `protected_by: [bookings.serviceId]`",
            )


def _check_name(config: Config, i: int, table: TableConfig, earlier: Mapping[str, int]) -> None:
    """A table is listed once (by name, across schemas), and is not the fingerprint table."""
    if table.name in earlier:
        first = earlier[table.name]
        other = config.tables[first].schema_ != table.schema_
        raise ConfigProblemError(
            f"tables[{i}].name",
            f"`{table.name}` is already listed as tables[{first}]"
            + (" (in another schema)" if other else ""),
            "list each table once; `references` name tables by `name`, so names must be unique "
            "across schemas",
        )
    if table.relation == config.fingerprint.relation:
        raise ConfigProblemError(
            f"tables[{i}].name",
            f"`{table.label}` is the fingerprint table; it is never synced as reference data",
            f"remove tables[{i}], or point `fingerprint.table` at the table holding the "
            "environment row",
        )


def _check_references(
    config: Config, where: str, table: TableConfig, earlier: Mapping[str, int]
) -> None:
    """Each reference names a table listed earlier (parents first) or this one, and a match
    key column does not point at this same table."""
    for column, target in table.references.items():
        key = f"{where}.references.{column}"
        if target != table.name and target not in earlier:
            listed_later = any(t.name == target for t in config.tables)
            raise ConfigProblemError(
                key,
                f"`{target}` is not a table listed earlier"
                + (" (it is listed later; parents must come first)" if listed_later else ""),
                f"list `{target}` in `tables` before `{table.name}`"
                if listed_later
                else f"add `{target}` to `tables` before `{table.name}`, or drop this reference",
            )
        if column in table.match.columns and target == table.name:
            raise ConfigProblemError(
                key,
                f"`{column}` is part of the match key and points at this same table; a key "
                "scoped by a row of its own table cannot be resolved parents first",
                "scope the key by another listed table, or match on columns whose values are "
                "the same in dev and prod (a slug, code or key)",
            )


def _check_exclude(where: str, table: TableConfig) -> None:
    """An excluded column is not also matched, compared or a reference."""
    for j, column in enumerate(table.exclude):
        if column in table.match.columns:
            used = "match"
        elif column in table.compare:
            used = "compare"
        elif column in table.references:
            used = "references"
        else:
            continue
        raise ConfigProblemError(
            f"{where}.exclude[{j}]",
            f"`{column}` is also in `{used}`; an excluded column is never copied or compared",
            f"remove `{column}` from one of `exclude` and `{used}`",
        )
