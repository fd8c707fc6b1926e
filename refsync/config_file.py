"""The config file: read (the user's, or the default profile `refsync/profiles/default.yml`,
loaded exactly like a user's file), parsed as strict YAML, validated by the pydantic models
below (each key's type and form, and the rules within one entry) and made into a
`refsync.config.Config` (which checks the rules between entries).

Every error is a UsageError (exit 2) naming the offending key and the fix. A run imports this
module only for a `config` input: the default profile is `refsync.default_profile`, held by a
test to be what this module loads from `profiles/default.yml`.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from refsync.config import Config, ConfigProblemError, FingerprintConfig, Match, TableConfig
from refsync.errors import UsageError
from refsync.hints import suggest


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character, which PostgreSQL names and values cannot hold")
    return value


#: Text sent to PostgreSQL as a name or value: a NUL would only fail later, after connecting.
Text = Annotated[str, AfterValidator(_no_nul)]
Identifier = Annotated[Text, Field(min_length=1, max_length=63)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


#: The fingerprint's defaults are the Config's own (`refsync.config.FingerprintConfig`).
_FINGERPRINT = FingerprintConfig()


class FingerprintModel(_Frozen):
    table: Identifier = _FINGERPRINT.table
    id_column: Identifier = _FINGERPRINT.id_column
    id: Text = _FINGERPRINT.id
    environment_column: Identifier = _FINGERPRINT.environment_column
    fingerprint_column: Identifier = _FINGERPRINT.fingerprint_column
    dev: Text = _FINGERPRINT.dev
    prod: Text = _FINGERPRINT.prod

    @model_validator(mode="after")
    def _distinct_environments(self) -> FingerprintModel:
        if self.dev == self.prod:
            raise ConfigProblemError(
                "fingerprint.prod",
                f"is `{self.prod}`, the same as `fingerprint.dev`: one database could then "
                "pass for both dev and prod",
                "give the two environments different values, e.g. `dev: dev` and `prod: prod`",
            )
        return self

    def build(self) -> FingerprintConfig:
        return FingerprintConfig(**self.model_dump())


class MatchModel(_Frozen):
    slug_from: Identifier | None = None
    column: Identifier | list[Identifier] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> MatchModel:
        if (self.slug_from is None) == (self.column is None):
            raise ValueError("give exactly one of `slug_from: <column>` or `column: <column>`")
        if isinstance(self.column, list) and (
            not self.column or len(set(self.column)) != len(self.column)
        ):
            raise ValueError("`column:` as a list needs one or more distinct column names")
        return self

    def build(self) -> Match:
        return Match(**self.model_dump())


class TableModel(_Frozen):
    name: Identifier
    schema_: Identifier = Field("public", alias="schema")
    match: MatchModel
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

    def build(self) -> TableConfig:
        return TableConfig(
            name=self.name,
            schema_=self.schema_,
            match=self.match.build(),
            compare=list(self.compare),
            references=dict(self.references),
            protected_by=list(self.protected_by),
            exclude=list(self.exclude),
        )


class ConfigModel(_Frozen):
    version: Literal[1]
    fingerprint: FingerprintModel = Field(default_factory=FingerprintModel)
    tables: list[TableModel] = Field(min_length=1)

    def build(self) -> Config:
        """The Config: making it checks the rules between entries (ConfigProblemError)."""
        return Config(
            version=self.version,
            fingerprint=self.fingerprint.build(),
            tables=[t.build() for t in self.tables],
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
    """Parse and validate config text; `source` names it in messages."""
    if len(text) > MAX_CONFIG_CHARS:
        raise UsageError(
            f"config {source}: {len(text):,} characters; a refsync config is far smaller",
            fix="check that `config` names the refsync YAML file",
        )
    data = _load_yaml(text, source)
    if not isinstance(data, dict):
        raise UsageError(
            f"config {source}: expected a mapping with `version: 1` and `tables:`",
            fix="start from refsync/profiles/default.yml",
        )
    try:
        model = ConfigModel.model_validate(data)
    except ValidationError as exc:
        raise _usage_error(exc, source) from None
    try:
        return model.build()
    except ConfigProblemError as problem:  # a rule between entries (refsync.config)
        raise _problem_error([(str(problem), problem.fix)], source) from None


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
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


def _usage_error(exc: ValidationError, source: str) -> UsageError:
    """Every problem pydantic found, each naming its key, with their fixes once each."""
    return _problem_error([_describe(err) for err in exc.errors()], source)


def _problem_error(found: list[tuple[str, str | None]], source: str) -> UsageError:
    """Problems (each "`key`: what is wrong", and its own fix if any) as one UsageError."""
    problems = list(dict.fromkeys(problem for problem, _ in found))
    fixes = [fix for _, fix in found if fix is not None]
    fixes.append("docs/configuration.md lists every key")
    return UsageError(
        f"config {source}: " + "; ".join(problems),
        fix="; ".join(dict.fromkeys(fixes)),
    )


def _describe(err: ErrorDetails) -> tuple[str, str | None]:
    """One validation problem as "`key`: what is wrong", and its fix when it has its own."""
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, ConfigProblemError):
        return str(problem), problem.fix
    loc = err["loc"]
    if len(loc) > 4 and tuple(loc[2:4]) == ("match", "column"):
        # pydantic reports each member of `str | list[str]` apart, named by its validators'
        # reprs (memory addresses included): one problem, said once.
        return (
            f"`{_key_path(loc[:4])}`: should be a column name (1 to 63 characters, no NUL) "
            "or a list of column names",
            "write e.g. `match: {column: code}` or `match: {column: [code, region]}`",
        )
    msg = err["msg"].removeprefix("Value error, ")
    fix = None
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(err["loc"][:-1])
        hint = suggest(str(err["loc"][-1]), allowed, limit=1)
        msg = "unknown key" + (f"; did you mean {hint}?" if hint else "")
        fix = "allowed keys here: " + ", ".join(f"`{k}`" for k in allowed)
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif err["type"] == "model_type":
        # pydantic names the model ("or instance of MatchModel"): a class users never see.
        msg = f"Input should be a valid dictionary (got {_short(err.get('input'))})"
    else:
        msg += f" (got {_short(err.get('input'))})"
    return f"`{_key_path(err['loc'])}`: {msg}", fix


def _key_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's ('tables', 1, 'match', 'column') as `tables[1].match.column`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): ConfigModel,
    ("fingerprint",): FingerprintModel,
    ("tables",): TableModel,
    ("tables", "match"): MatchModel,
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
