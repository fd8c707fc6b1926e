"""The config file of SPEC section 4.3: parsed from YAML, validated by pydantic, frozen.

The default profile is `refsync/profiles/default.yml`, loaded exactly like a user's file.
Every error is a UsageError (exit 2) naming the offending key and the fix.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from refsync.errors import UsageError

Identifier = Annotated[str, Field(min_length=1, max_length=63)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FingerprintConfig(_Frozen):
    table: Identifier = "database_metadata"
    id_column: Identifier = "id"
    id: str = "singleton"
    environment_column: Identifier = "environment"
    fingerprint_column: Identifier = "fingerprint"
    dev: str = "dev"
    prod: str = "prod"

    @property
    def relation(self) -> tuple[str, str]:
        schema, _, name = self.table.rpartition(".")
        return (schema or "public", name)


class Match(_Frozen):
    slug_from: Identifier | None = None
    column: Identifier | list[Identifier] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Match:
        if (self.slug_from is None) == (self.column is None):
            raise ValueError("give exactly one of `slug_from: <column>` or `column: <column>`")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the key is built from."""
        if self.slug_from is not None:
            return (self.slug_from,)
        if self.column is None:  # unreachable: the validator requires one of the two
            raise ValueError("match has no column")
        return (self.column,) if isinstance(self.column, str) else tuple(self.column)


class TableConfig(_Frozen):
    name: Identifier
    schema_: Identifier = Field("public", alias="schema")
    match: Match
    compare: list[Identifier] = Field(min_length=1)
    references: dict[Identifier, Identifier] = Field(default_factory=dict)
    protect: Literal["referenced", "none"] = "referenced"
    protected_by: list[str] = Field(default_factory=list)
    exclude: list[Identifier] = Field(default_factory=list)

    @property
    def relation(self) -> tuple[str, str]:
        return (self.schema_, self.name)

    @property
    def label(self) -> str:
        return self.name if self.schema_ == "public" else f"{self.schema_}.{self.name}"

    def protected_by_columns(self) -> list[tuple[str, str, str]]:
        """`[schema.]table.column` entries as (schema, table, column)."""
        out = []
        for entry in self.protected_by:
            parts = entry.split(".")
            if len(parts) == 2:
                out.append(("public", parts[0], parts[1]))
            elif len(parts) == 3:
                out.append((parts[0], parts[1], parts[2]))
            else:  # validated in Config, kept total for mypy
                raise ValueError(entry)
        return out


class Config(_Frozen):
    version: Literal[1]
    fingerprint: FingerprintConfig = Field(default_factory=FingerprintConfig)
    tables: list[TableConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        seen: set[str] = set()
        relations: set[tuple[str, str]] = set()
        for i, table in enumerate(self.tables):
            where = f"tables[{i}] ({table.label})"
            if table.relation in relations:
                raise ValueError(f"{where}: listed twice")
            if table.relation == self.fingerprint.relation:
                raise ValueError(
                    f"{where}: is the fingerprint table; it is never synced as reference data"
                )
            for column in table.compare + table.exclude + list(table.references):
                if not column:
                    raise ValueError(f"{where}: empty column name")
            for column, target in table.references.items():
                if target not in seen:
                    raise ValueError(
                        f"{where}.references.{column}: `{target}` is not a table listed earlier; "
                        "list parent tables first"
                    )
            overlap = set(table.exclude) & (set(table.compare) | set(table.match.columns))
            if overlap:
                raise ValueError(
                    f"{where}.exclude: {sorted(overlap)} are also matched or compared; "
                    "an excluded column is never copied or compared"
                )
            for entry in table.protected_by:
                if not 2 <= len(entry.split(".")) <= 3 or "" in entry.split("."):
                    raise ValueError(
                        f"{where}.protected_by: `{entry}` must be `table.column` or "
                        "`schema.table.column`"
                    )
            seen.add(table.name)
            relations.add(table.relation)
        for table in self.tables:
            for schema, name, column in table.protected_by_columns():
                if (schema, name) in relations:
                    raise ValueError(
                        f"tables ({table.label}).protected_by: `{name}.{column}` is a reference "
                        "table listed in `tables`, not business data"
                    )
                if (schema, name) == self.fingerprint.relation:
                    raise ValueError(
                        f"tables ({table.label}).protected_by: `{name}` is the fingerprint table"
                    )
        return self

    def table(self, name: str) -> TableConfig:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(name)

    def canonical(self) -> dict[str, Any]:
        """The effective config as plain data, the form hashed into the plan digest."""
        return self.model_dump(mode="json", by_alias=True)


DEFAULT_PROFILE = "default.yml"


def default_profile_text() -> str:
    return resources.files("refsync").joinpath("profiles", DEFAULT_PROFILE).read_text("utf-8")


def load_config(path: str | None) -> Config:
    """Load and validate the config at `path`, or the default profile when `path` is None."""
    if path is None:
        return parse_config(default_profile_text(), source="the default profile")
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"input `config`: cannot read {path!r} ({exc.strerror})",
            fix="give a path relative to the repository root, e.g. `config: .github/refsync.yml`",
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"input `config`: {path!r} is not valid UTF-8 (byte {exc.start})",
            fix="save the config file as UTF-8",
        ) from None
    return parse_config(text, source=path)


def parse_config(text: str, *, source: str) -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(
            f"config {source}: not valid YAML{where}",
            fix="check indentation and quoting; the README has a complete example",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"config {source}: expected a mapping with `version: 1` and `tables:`",
            fix="start from refsync/profiles/default.yml",
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            problems.append(f"`{loc}`: {msg}")
        raise UsageError(
            f"config {source}: " + "; ".join(problems),
            fix="see the configuration section of the README for every allowed key",
        ) from None
