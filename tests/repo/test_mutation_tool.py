"""The mutation command's own checks that need no mutation run (docs/mutation.md): its
list of equivalent mutants names functions and constants that exist, and every allow/deny
list of the guard has mutants, so a renamed function or a new list shows up here, in the
ordinary test run, rather than only in the next `python3 tasks.py mutate`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from devtools import mutation
from refsync import candidates, compare, diff, digest, guard, guard_nodes, keys, ordering, unchanged

MODULES = r"(guard\w*|keys|compare|candidates|unchanged|diff|ordering|digest)"
KEY = re.compile(MODULES + r"\.(\w+(?:\.\w+)?) ([0-9a-f]{8})(#\d+)?")
CONSTANT = re.compile(MODULES + r"\.([A-Z_]+) ([-+~])(\S+)")


def test_equivalent_list_parses_items_with_several_keys_over_several_lines(
    tmp_path: Path,
) -> None:
    """Keys are the backticked words an item starts with, also on its continuation lines."""
    doc = tmp_path / "doc.md"
    doc.write_text(
        "- `guard.x aaaaaaaa`: ignored, before the section\n"
        "## Equivalent mutants\n"
        "- `guard._walk 11111111`, `guard._walk 22222222`,\n"
        "  `guard._walk 33333333` (a change): why it is equivalent\n"
        "- `digest._TO_JSON -tuple`: why; `digest.not 44444444` in prose is not a key\n"
        "Text between items.\n"
        "  - `digest.indented 55555555`: not an item of the list\n"
    )
    assert mutation.equivalent_keys(doc) == {
        "guard._walk 11111111": "(a change): why it is equivalent",
        "guard._walk 22222222": "(a change): why it is equivalent",
        "guard._walk 33333333": "(a change): why it is equivalent",
        "digest._TO_JSON -tuple": "why; `digest.not 44444444` in prose is not a key",
    }


def test_equivalent_mutants_name_what_exists() -> None:
    """Every listed key names a function (or method) or a constant entry of the source."""
    listed = mutation.equivalent_keys()
    assert listed, "docs/mutation.md lists no equivalent mutant"
    modules = {
        m.removeprefix("refsync."): importlib.import_module(m) for m in mutation.GUARD_MODULES
    }
    modules |= {"keys": keys, "compare": compare, "candidates": candidates, "diff": diff}
    modules["ordering"] = ordering
    modules["unchanged"] = unchanged
    modules["digest"] = digest
    for key, why in listed.items():
        assert why, f"`{key}` says no why"
        if found := KEY.fullmatch(key):
            owner: object = modules[found[1]]
            for name in found[2].split("."):
                owner = getattr(owner, name)
            assert callable(owner), key
        else:
            found = CONSTANT.fullmatch(key)
            assert found, f"`{key}` is not a key the command prints"
            assert hasattr(modules[found[1]], found[2]), key


def test_every_guard_list_has_constant_mutants() -> None:
    """Each allow/deny list of the guard loses each entry and gains its additions in turn; a
    constant that is a part of a list (a pattern LOCAL_SETTINGS holds) is mutated through it."""
    mutants = mutation.guard_constants()
    lists = {
        (module, n)
        for module in mutation.GUARD_MODULES
        for n, v in vars(importlib.import_module(module)).items()
        if n.isupper() and not isinstance(v, str | bool)
    }
    assert {(m.module, m.name) for m in mutants} == {
        (module, n) for module, n in lists if n not in mutation.GUARD_PARTS
    }
    assert set(mutation.GUARD_PARTS) <= {n for _, n in lists}
    for mutant in mutants:
        original = getattr(importlib.import_module(mutant.module), mutant.name)
        assert mutant.value != original, mutant.key
    removed = {m.key for m in mutants if m.change.startswith("-")}
    assert "guard.TRUE_WORDS -'on'" in removed
    assert "guard.SETTABLE +'session_replication_role'" in {m.key for m in mutants}


def test_every_local_setting_loses_its_name_and_has_its_pattern_changed() -> None:
    """LOCAL_SETTINGS: each name removed, names one step outside added, and each pattern
    replaced by wider and narrower ones (`~name=pattern`), each differing from the guard's."""
    mutants = [m for m in mutation.guard_constants() if m.name == "LOCAL_SETTINGS"]
    changed = {m.change.partition("=")[0].removeprefix("~") for m in mutants if m.change[0] == "~"}
    removed = {m.change for m in mutants if m.change[0] == "-"}
    assert changed == set(guard_nodes.LOCAL_SETTINGS)
    assert removed == {f"-{name!r}" for name in guard_nodes.LOCAL_SETTINGS}
    assert "+'session_replication_role'" in {m.change for m in mutants}
    for mutant in mutants:
        if mutant.change[0] == "~":
            name, _, pattern = mutant.change[1:].partition("=")
            assert mutant.value[name].pattern == pattern != guard_nodes.LOCAL_SETTINGS[name].pattern
            others = {k: v for k, v in mutant.value.items() if k != name}
            assert others == {k: v for k, v in guard_nodes.LOCAL_SETTINGS.items() if k != name}


def test_pattern_changes_must_name_every_setting_and_change_it() -> None:
    """A setting without changes, or a change equal to its pattern, is an error."""
    settings = {"a": re.compile("x"), "b": re.compile("y")}
    with pytest.raises(RuntimeError, match=r"differ: \['b'\]"):
        mutation._pattern_mutants("m", settings, {"a": ["z"]})
    with pytest.raises(ValueError, match="a is already 'x'"):
        mutation._pattern_mutants("m", settings, {"a": ["x"], "b": ["z"]})


def test_digest_constant_mutants_change_the_constants() -> None:
    """Each digest constant mutant differs from the constant it replaces."""
    for mutant in mutation.digest_constants():
        original = getattr(digest, mutant.name)
        if mutant.name == "_CANONICAL_JSON":
            assert vars(mutant.value) != vars(original), mutant.key
        else:
            assert mutant.value != original, mutant.key


def test_an_addition_already_in_a_list_is_an_error() -> None:
    """Adding an entry a list holds would make a mutant that changes nothing."""
    with pytest.raises(ValueError, match="already holds 'on'"):
        mutation._entry_mutants("m", "TRUE_WORDS", frozenset({"on"}), ["on"])


def test_score_leaves_equivalent_mutants_out() -> None:
    """killed / (mutants - equivalent); a killed mutant listed as equivalent still counts
    as killed."""
    mutants = [
        mutation.Mutant("a", "", "killed"),
        mutation.Mutant("b", "", "timeout"),
        mutation.Mutant("c", "", "survived"),
        mutation.Mutant("d", "", "no tests"),
        mutation.Mutant("e", "", "survived"),
    ]
    got = mutation.score("p", mutants, {"e", "a"}, (1.0, 2.0))
    assert (got.mutants, got.killed, got.survived, got.equivalent) == (5, 2, 2, 1)
    assert got.score == 50.0


def test_a_new_guard_constant_or_a_loose_part_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new constant (a pattern too) without mutants stops the command, and so does a part
    that its list no longer holds (mutating it through the list would miss it)."""
    monkeypatch.setattr(guard, "_NEW_PATTERN", re.compile("x"), raising=False)
    with pytest.raises(RuntimeError, match="add the guard's _NEW_PATTERN to GUARD_ADDITIONS"):
        mutation.guard_constants()
    monkeypatch.delattr(guard, "_NEW_PATTERN")
    monkeypatch.setattr(guard_nodes, "_POSITIVE_MS", re.compile("[0-9]+"))
    with pytest.raises(RuntimeError, match="_POSITIVE_MS is no part of LOCAL_SETTINGS"):
        mutation.guard_constants()


def test_a_guard_list_in_two_modules_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list imported into a second guard module would keep its entries there whatever the
    mutant: the command refuses to measure it."""
    monkeypatch.setattr(guard, "LOCAL_SETTINGS", guard_nodes.LOCAL_SETTINGS, raising=False)
    with pytest.raises(
        RuntimeError, match=r"LOCAL_SETTINGS is in refsync\.guard and refsync\.guard_nodes"
    ):
        mutation.guard_constants()
