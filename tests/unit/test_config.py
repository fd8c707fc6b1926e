"""The config file (SPEC 4.3): every validation error names its key and a fix (exit 2), the
shipped default profile is the SPEC's example, and the docs list every key the code accepts.
The same errors through the real entrypoint: tests/e2e/test_config_errors.py."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from refsync.config import Config, ConfigProblemError, Match, TableConfig
from refsync.config_file import (
    ConfigModel,
    FingerprintModel,
    MatchModel,
    TableModel,
    default_profile_text,
    load_config,
    parse_config,
)
from refsync.default_profile import default_profile
from refsync.errors import UsageError
from tests.fixtures.imports import loaded

ROOT = Path(__file__).resolve().parents[2]

# SPEC section 4.3, verbatim apart from the comments.
SPEC_EXAMPLE = """
version: 1
fingerprint:
  table: database_metadata
  id_column: id
  id: singleton
  environment_column: environment
  fingerprint_column: fingerprint
  dev: dev
  prod: prod
tables:
  - name: service_categories
    schema: public
    match: {slug_from: name}
    compare: [name, description, icon, isActive]
  - name: services
    match: {slug_from: name}
    compare: [name, description, price, categoryId, isActive]
    references: {categoryId: service_categories}
    protected_by: [bookings.serviceId, provider_services.serviceId]
    exclude: []
"""

CATEGORIES = """
  - name: categories
    match: {slug_from: name}
    compare: [name]
"""


def refused(text: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        parse_config(textwrap.dedent(text), source="refsync.yml")
    assert info.value.exit_code == 2
    assert info.value.fix
    return info.value


def test_default_profile_is_the_spec_example() -> None:
    """The built-in profile equals the SPEC 4.3 example once defaults are filled in."""
    spec = parse_config(SPEC_EXAMPLE, source="SPEC")
    assert load_config(None) == spec
    assert load_config(None).canonical() == spec.canonical()


def test_the_runs_default_profile_is_the_file() -> None:
    """A run without `config` uses `default_profile()`, made without PyYAML or pydantic: it is
    what profiles/default.yml loads into, field for field and as the digest hashes it."""
    made, loaded = default_profile(), load_config(None)
    assert made == loaded
    assert made.canonical() == loaded.canonical()
    assert [type(t.match.column) for t in made.tables] == [
        type(t.match.column) for t in loaded.tables
    ]


def test_a_config_made_in_code_is_checked_too() -> None:
    """The rules between entries are the Config's own: code that makes one (the default
    profile) cannot skip them."""
    table = TableConfig(name="a", match=Match(slug_from="name"), compare=["name"])
    with pytest.raises(ConfigProblemError, match=r"`tables\[1\]\.name`: `a` is already listed"):
        Config(tables=[table, table])
    metadata = TableConfig(name="database_metadata", match=Match(column="id"), compare=["id"])
    with pytest.raises(ConfigProblemError, match="is the fingerprint table"):
        Config(tables=[metadata])


def test_a_default_profile_run_imports_neither_yaml_nor_pydantic() -> None:
    """About 50 ms of every run that gives no `config` (docs/benchmark.md, attempt 21)."""
    costly = ("yaml", "pydantic", "pydantic_core")
    assert loaded("from refsync.main import _config; _config(None)", costly) == []
    example = str(ROOT / "examples" / "refsync.yml")
    assert loaded(f"from refsync.main import _config; _config({example!r})", costly) == [
        "pydantic",
        "pydantic_core",
        "yaml",
    ]


def test_shipped_example_is_the_default_profile() -> None:
    """examples/refsync.yml, the commented copy users start from, is the default profile."""
    example = load_config(str(ROOT / "examples" / "refsync.yml"))
    assert example == load_config(None)
    assert yaml.safe_load(default_profile_text()) == yaml.safe_load(
        (ROOT / "examples" / "refsync.yml").read_text()
    )


def test_unknown_key_names_it_and_suggests() -> None:
    """A misspelt key is refused with its path, the likely spelling and the allowed keys."""
    error = refused(f"version: 1\ntables:{CATEGORIES}    compares: [icon]\n")
    assert "`tables[0].compares`: unknown key; did you mean `compare`?" in error.message
    assert error.fix is not None
    assert "`protected_by`" in error.fix


def test_unknown_top_level_and_fingerprint_keys() -> None:
    """Unknown keys are refused at every level, not only inside tables."""
    assert (
        "`tabels`: unknown key" in refused(f"version: 1\ntabels: []\ntables:{CATEGORIES}").message
    )
    error = refused(f"version: 1\nfingerprint: {{tabel: meta}}\ntables:{CATEGORIES}")
    assert "`fingerprint.tabel`: unknown key; did you mean `table`?" in error.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"version: 2\ntables:{CATEGORIES}", "`version`: Input should be 1"),
        ("version: 1\ntables: {}\n", "`tables`: Input should be a valid list"),
        (
            "version: 1\ntables:\n  - name: c\n    match: {slug_from: name}\n    compare: name\n",
            "`tables[0].compare`: Input should be a valid list (got 'name')",
        ),
        (
            "version: 1\ntables:\n  - name: c\n    match: {slug_from: name}\n    compare: [name]\n"
            "    protect: none\n",
            "`tables[0]`: `protect` was removed: rows that business data points at are always "
            "protected",
        ),
        ("version: 1\ntables:\n  - name: c\n    compare: [name]\n", "`tables[0].match`: required"),
        (
            "version: 1\ntables:\n  - name: c\n    match: {slug_from: name, column: code}\n"
            "    compare: [name]\n",
            "`tables[0].match`: give exactly one of `slug_from: <column>` or `column: <column>`",
        ),
        (
            "version: 1\ntables:\n  - name: c\n    match: {column: []}\n    compare: [name]\n",
            "`tables[0].match`: `column:` as a list needs one or more distinct column names",
        ),
        ("version: 1\ntables: []\n", "`tables`: List should have at least 1 item"),
        # A mapping expected: said without the name of a class of refsync's (pydantic's
        # message names the model, which users never see elsewhere).
        (
            "version: 1\ntables: [{name: a, match: x, compare: [c]}]\n",
            "`tables[0].match`: Input should be a valid dictionary (got 'x')",
        ),
        ("version: 1\ntables: [5]\n", "`tables[0]`: Input should be a valid dictionary (got 5)"),
        (
            f"version: 1\nfingerprint: 5\ntables:{CATEGORIES}",
            "`fingerprint`: Input should be a valid dictionary (got 5)",
        ),
    ],
)
def test_wrong_types_name_the_key(text: str, expected: str) -> None:
    assert expected in str(refused(text))


@pytest.mark.parametrize("column", ["5", "{x: 1}", '[""]', '"a\\0b"', "[a, [b]]", "x" * 64])
def test_a_match_column_of_the_wrong_form_is_one_problem(column: str) -> None:
    """`column` is a name or a list of names: pydantic reports each form apart, named by its
    validators' reprs (with memory addresses); the user reads one problem, once."""
    error = refused(
        f"version: 1\ntables:\n  - name: c\n    match: {{column: {column}}}\n    compare: [name]\n"
    )
    assert error.message == (
        "config refsync.yml: `tables[0].match.column`: should be a column name (1 to 63 "
        "characters, no NUL) or a list of column names"
    )
    assert "match: {column: [code, region]}" in str(error.fix)
    assert " at 0x" not in str(error) + str(error.fix)


def test_reference_to_a_table_not_listed_earlier() -> None:
    """`references` may only name a table listed before (parents first), saying which fix."""
    later = refused(
        """\
        version: 1
        tables:
          - name: services
            match: {slug_from: name}
            compare: [name]
            references: {categoryId: categories}
          - name: categories
            match: {slug_from: name}
            compare: [name]
        """
    )
    assert "`tables[0].references.categoryId`: `categories` is not a table listed earlier" in (
        later.message
    )
    assert later.fix is not None
    assert "list `categories` in `tables` before `services`" in later.fix
    missing = refused(
        f"""\
        version: 1
        tables:{textwrap.indent(CATEGORIES, "        ")}
          - name: services
            match: {{slug_from: name}}
            compare: [name]
            references: {{categoryId: kategories}}
        """
    )
    assert "`tables[1].references.categoryId`: `kategories` is not a table listed earlier" in (
        missing.message
    )


def test_self_reference_is_allowed() -> None:
    """A tree (categories.parentId -> categories) references its own table."""
    config = parse_config(
        "version: 1\ntables:\n  - name: categories\n    match: {slug_from: name}\n"
        "    compare: [name, parentId]\n    references: {parentId: categories}\n",
        source="refsync.yml",
    )
    assert config.table("categories").references == {"parentId": "categories"}


def test_fingerprint_table_is_not_reference_data() -> None:
    """Listing the fingerprint table (default or configured) is refused, naming the key."""
    error = refused(
        "version: 1\ntables:\n  - name: database_metadata\n    match: {column: id}\n"
        "    compare: [environment]\n"
    )
    assert "`tables[0].name`: `database_metadata` is the fingerprint table" in error.message
    custom = refused(
        "version: 1\nfingerprint: {table: ops.meta}\ntables:\n  - name: meta\n    schema: ops\n"
        "    match: {column: id}\n    compare: [environment]\n"
    )
    assert "`tables[0].name`: `ops.meta` is the fingerprint table" in custom.message


@pytest.mark.parametrize(
    "fingerprint",
    ["{dev: live, prod: live}", "{dev: prod}", "{prod: dev}"],
)
def test_equal_environment_values_are_refused(fingerprint: str) -> None:
    """`fingerprint.dev` equal to `fingerprint.prod`, given or defaulted, is refused naming
    `fingerprint.prod`: one database could then pass for both."""
    error = refused(f"version: 1\nfingerprint: {fingerprint}\ntables:{CATEGORIES}")
    assert "`fingerprint.prod`: is `" in error.message
    assert "the same as `fingerprint.dev`" in error.message
    assert "`prod: prod`" in str(error.fix)


def test_business_table_is_not_reference_data() -> None:
    """A table named as business data in a protected_by may not be listed as reference data."""
    error = refused(
        """\
        version: 1
        tables:
          - name: bookings
            match: {column: id}
            compare: [status]
          - name: services
            match: {slug_from: name}
            compare: [name]
            protected_by: [bookings.serviceId]
        """
    )
    assert "`tables[0].name`: `bookings` is listed as reference data" in error.message
    assert "`tables[1].protected_by[0]`" in error.message
    assert error.fix is not None
    assert "remove `tables[0]`" in error.fix


def test_protected_by_shape_and_target() -> None:
    """protected_by entries are `[schema.]table.column` and never the fingerprint table."""
    shape = refused(f"version: 1\ntables:{CATEGORIES}    protected_by: [bookings]\n")
    assert "`tables[0].protected_by[0]`: `bookings` must be `table.column`" in shape.message
    fingerprint = refused(
        f"version: 1\ntables:{CATEGORIES}    protected_by: [database_metadata.id]\n"
    )
    assert "`tables[0].protected_by[0]`: `database_metadata` is the fingerprint table" in (
        fingerprint.message
    )
    for value in ("none", "referenced"):
        removed = refused(f"version: 1\ntables:{CATEGORIES}    protect: {value}\n")
        assert "`tables[0]`: `protect` was removed" in removed.message


def test_table_listed_twice() -> None:
    """Table names are unique, across schemas too, since `references` names tables by name."""
    elsewhere = CATEGORIES + "    schema: shop\n"
    error = refused(f"version: 1\ntables:{CATEGORIES}{elsewhere}")
    assert "`tables[1].name`: `categories` is already listed as tables[0] (in another schema)" in (
        error.message
    )


def test_exclude_conflicts() -> None:
    """An excluded column cannot also be matched, compared or remapped."""
    error = refused(f"version: 1\ntables:{CATEGORIES}    exclude: [name]\n")
    assert "`tables[0].exclude[0]`: `name` is also in `match`" in error.message
    ref = refused(
        f"version: 1\ntables:{CATEGORIES}  - name: services\n    match: {{slug_from: name}}\n"
        "    compare: [name]\n    references: {categoryId: categories}\n    exclude: [categoryId]\n"
    )
    assert "`tables[1].exclude[0]`: `categoryId` is also in `references`" in ref.message


def test_duplicate_compare_and_self_scoped_match() -> None:
    """A column compared twice, or a match key scoped by a row of its own table (which
    cannot be keyed parents first), is refused; a key scoped by an earlier table is not."""
    twice = refused(
        "version: 1\ntables:\n  - name: c\n    match: {slug_from: name}\n"
        "    compare: [name, name]\n"
    )
    assert "`tables[0].compare[1]`: `name` is listed twice" in twice.message
    own = refused(
        f"version: 1\ntables:{CATEGORIES}  - name: services\n"
        "    match: {column: [parentId, code]}\n    compare: [name]\n"
        "    references: {parentId: services}\n"
    )
    assert "`tables[1].references.parentId`: `parentId` is part of the match key and points" in (
        own.message
    )
    scoped = parse_config(
        f"version: 1\ntables:{CATEGORIES}  - name: services\n"
        "    match: {column: [categoryId, code]}\n    compare: [name]\n"
        "    references: {categoryId: categories}\n",
        source="test",
    )
    assert scoped.tables[1].match.columns == ("categoryId", "code")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    """A missing file, bad UTF-8, bad YAML or a non-mapping is a usage error naming the file."""
    with pytest.raises(UsageError, match="input `config`: cannot read"):
        load_config(str(tmp_path / "missing.yml"))
    bad = tmp_path / "bad.yml"
    bad.write_bytes(b"version: 1\ntables: \xff\n")
    with pytest.raises(UsageError, match="not valid UTF-8"):
        load_config(str(bad))
    bad.write_text("version: 1\ntables: [\n")
    with pytest.raises(UsageError, match="not valid YAML at line"):
        load_config(str(bad))
    bad.write_text("- just a list\n")
    with pytest.raises(UsageError, match="expected a mapping"):
        load_config(str(bad))


def test_docs_list_every_key() -> None:
    """docs/configuration.md documents every key the config models accept."""
    docs = (ROOT / "docs" / "configuration.md").read_text()
    prefixes: dict[type[BaseModel], str] = {
        ConfigModel: "",
        FingerprintModel: "fingerprint.",
        TableModel: "tables[].",
        MatchModel: "tables[].match.",
    }
    for model, prefix in prefixes.items():
        for name, info in model.model_fields.items():
            key = f"`{prefix}{info.alias or name}`"
            assert key in docs, f"{key} is undocumented"


def test_docs_examples_are_valid_configs() -> None:
    """Every complete config in docs/configuration.md parses."""
    docs = (ROOT / "docs" / "configuration.md").read_text()
    blocks = [b.split("```", 1)[0] for b in docs.split("```yaml\n")[1:]]
    configs = [b for b in blocks if b.startswith("version: 1")]
    assert len(configs) == 2
    for block in configs:
        assert parse_config(block, source="docs").tables
