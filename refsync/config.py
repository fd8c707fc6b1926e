"""The config file of SPEC section 4.3: parsed from YAML, validated by pydantic, frozen.

The default profile is `refsync/profiles/default.yml`, loaded exactly like a user's file.
Every error is a UsageError (exit 2) naming the offending key and the fix.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from refsync.errors import UsageError


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character, which PostgreSQL names and values cannot hold")
    return value


#: Text sent to PostgreSQL as a name or value: a NUL would only fail later, after connecting.
Text = Annotated[str, AfterValidator(_no_nul)]
Identifier = Annotated[Text, Field(min_length=1, max_length=63)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FingerprintConfig(_Frozen):
    table: Identifier = "database_metadata"
    id_column: Identifier = "id"
    id: Text = "singleton"
    environment_column: Identifier = "environment"
    fingerprint_column: Identifier = "fingerprint"
    dev: Text = "dev"
    prod: Text = "prod"

    @property
    def relation(self) -> tuple[str, str]:
        schema, _, name = self.table.rpartition(".")
        return (schema or "public", name)

    @model_validator(mode="after")
    def _distinct_environments(self) -> FingerprintConfig:
        if self.dev == self.prod:
            raise ConfigProblemError(
                "fingerprint.prod",
                f"is `{self.prod}`, the same as `fingerprint.dev`: one database could then "
                "pass for both dev and prod",
                "give the two environments different values, e.g. `dev: dev` and `prod: prod`",
            )
        return self


class Match(_Frozen):
    slug_from: Identifier | None = None
    column: Identifier | list[Identifier] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Match:
        if (self.slug_from is None) == (self.column is None):
            raise ValueError("give exactly one of `slug_from: <column>` or `column: <column>`")
        if isinstance(self.column, list) and (
            not self.column or len(set(self.column)) != len(self.column)
        ):
            raise ValueError("`column:` as a list needs one or more distinct column names")
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
    protected_by: list[Text] = Field(default_factory=list)
    exclude: list[Identifier] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_protect_key(cls, data: Any) -> Any:
        # `protect: none` once switched protection off. SPEC rule 5 admits no bypass, so the
        # key is gone, and a config that still sets it is refused rather than ignored.
        if isinstance(data, dict) and "protect" in data:
            raise ValueError(
                "`protect` was removed: rows that business data points at are always "
                "protected and no key turns that off; delete the `protect` line"
            )
        return data

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


class ConfigProblemError(ValueError):
    """A semantic config error: the key at fault (`tables[1].references.x`) and the fix."""

    def __init__(self, key: str, message: str, fix: str) -> None:
        super().__init__(f"`{key}`: {message}")
        self.key = key
        self.message = message
        self.fix = fix


class Config(_Frozen):
    version: Literal[1]
    fingerprint: FingerprintConfig = Field(default_factory=FingerprintConfig)
    tables: list[TableConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        names: dict[str, int] = {}
        relations: dict[tuple[str, str], int] = {}
        for i, table in enumerate(self.tables):
            _check_table(self, i, table, names)
            names[table.name] = i
            relations[table.relation] = i
        for i, table in enumerate(self.tables):
            for j, (schema, name, column) in enumerate(table.protected_by_columns()):
                key = f"tables[{i}].protected_by[{j}]"
                if (schema, name) in relations:
                    k = relations[(schema, name)]
                    raise ConfigProblemError(
                        f"tables[{k}].name",
                        f"`{_label(schema, name)}` is listed as reference data, but "
                        f"`{key}` ({table.name}) names `{name}.{column}` as business data "
                        "pointing at it",
                        f"a business table is never synced: remove `tables[{k}]` "
                        f"({_label(schema, name)}), or remove the `{key}` entry if it is "
                        "reference data after all",
                    )
                if (schema, name) == self.fingerprint.relation:
                    raise ConfigProblemError(
                        key,
                        f"`{name}` is the fingerprint table, not business data",
                        f"remove `{table.protected_by[j]}` from {table.name}.protected_by",
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


def _label(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _check_table(config: Config, i: int, table: TableConfig, earlier: Mapping[str, int]) -> None:
    """The rules one table entry follows, given the entries before it."""
    where = f"tables[{i}]"
    if table.name in earlier:
        first = earlier[table.name]
        other = config.tables[first].schema_ != table.schema_
        raise ConfigProblemError(
            f"{where}.name",
            f"`{table.name}` is already listed as tables[{first}]"
            + (" (in another schema)" if other else ""),
            "list each table once; `references` name tables by `name`, so names must be unique "
            "across schemas",
        )
    if table.relation == config.fingerprint.relation:
        raise ConfigProblemError(
            f"{where}.name",
            f"`{table.label}` is the fingerprint table; it is never synced as reference data",
            f"remove tables[{i}], or point `fingerprint.table` at the table holding the "
            "environment row",
        )
    for field_name, columns in (("compare", table.compare), ("exclude", table.exclude)):
        for j, column in enumerate(columns):
            if column in columns[:j]:
                raise ConfigProblemError(
                    f"{where}.{field_name}[{j}]",
                    f"`{column}` is listed twice",
                    f"list `{column}` once in {table.name}.{field_name}",
                )
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
    for j, column in enumerate(table.exclude):
        if column in table.match.columns or column in table.compare or column in table.references:
            used = (
                "match"
                if column in table.match.columns
                else ("compare" if column in table.compare else "references")
            )
            raise ConfigProblemError(
                f"{where}.exclude[{j}]",
                f"`{column}` is also in `{used}`; an excluded column is never copied or compared",
                f"remove `{column}` from one of `exclude` and `{used}`",
            )
    for j, entry in enumerate(table.protected_by):
        parts = entry.split(".")
        if not 2 <= len(parts) <= 3 or "" in parts:
            raise ConfigProblemError(
                f"{where}.protected_by[{j}]",
                f"`{entry}` must be `table.column` or `schema.table.column`",
                "write e.g. `protected_by: [bookings.serviceId]`",
            )


DEFAULT_PROFILE = "default.yml"


def default_profile_text() -> str:
    # The package is always a directory (the image copies it; tests run from the checkout),
    # so a path beside this file is enough, without importing importlib.resources.
    return (Path(__file__).parent / "profiles" / DEFAULT_PROFILE).read_text("utf-8")


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


#: A config is a page of YAML; anything near this size is not one.
MAX_CONFIG_CHARS = 1_000_000
#: Aliases (`*name`) one config may use: enough to share a list, too few for a "billion
#: laughs" document whose aliases expand exponentially.
MAX_ALIASES = 100


class _StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in one mapping (the last would
    silently win, so the config reviewed would not be the config run) and caps aliases."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key `{key}` is given twice", key_node.start_mark
                )
            seen.add(key if isinstance(key, str | int | float | bool) else id(key))
        return super().construct_mapping(node, deep=deep)


def parse_config(text: str, *, source: str) -> Config:
    if len(text) > MAX_CONFIG_CHARS:
        raise UsageError(
            f"config {source}: {len(text):,} characters; a refsync config is far smaller",
            fix="check that `config` names the refsync YAML file",
        )
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        detail = f": {problem}" if "twice" in problem or "aliases" in problem else ""
        raise UsageError(
            f"config {source}: not valid YAML{where}{detail}",
            fix="check indentation and quoting, and give each key once; docs/configuration.md "
            "has complete examples",
        ) from None
    if not isinstance(data, dict):
        raise UsageError(
            f"config {source}: expected a mapping with `version: 1` and `tables:`",
            fix="start from refsync/profiles/default.yml",
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems, fixes = [], []
        for err in exc.errors():
            problem = (err.get("ctx") or {}).get("error")
            if isinstance(problem, ConfigProblemError):
                problems.append(str(problem))
                fixes.append(problem.fix)
                continue
            loc = _key_path(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                import difflib  # noqa: PLC0415 - only a bad config needs it

                allowed = _allowed_keys(err["loc"][:-1])
                close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
                msg = "unknown key" + (f"; did you mean `{close[0]}`?" if close else "")
                fixes.append("allowed keys here: " + ", ".join(f"`{k}`" for k in allowed))
            elif err["type"] == "missing":
                msg = "required key is missing"
            else:
                msg += f" (got {_short(err.get('input'))})"
            problems.append(f"`{loc}`: {msg}")
        fixes.append("docs/configuration.md lists every key")
        raise UsageError(
            f"config {source}: " + "; ".join(problems),
            fix="; ".join(dict.fromkeys(fixes)),
        ) from None


def _key_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's ('tables', 1, 'match', 'column') as `tables[1].match.column`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Config,
    ("fingerprint",): FingerprintConfig,
    ("tables",): TableConfig,
    ("tables", "match"): Match,
}


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model = _MODELS.get(tuple(str(p) for p in loc if not isinstance(p, int)))
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _short(value: Any) -> str:
    # reprlib stops early: a huge (or deeply shared) value is never rendered whole.
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother = 2, 60, 60
    text = short.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
