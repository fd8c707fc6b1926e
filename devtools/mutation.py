"""Mutation testing of the parts whose tests must notice any change: the statement guard,
the diff and the digest (issue 17). See docs/mutation.md for how to run it and read it.

    python3 tasks.py mutate                   # guard, diff and digest
    python3 tasks.py mutate guard digest      # some of them
    python3 tasks.py mutate --fail-under 90   # exit 1 when a part scores lower (the default)

A part's mutants are of two kinds, scored together:

- mutmut's: one small change inside one function (an operator, a number, a string, an
  argument...). mutmut copies the code to `mutants/` and runs each mutant against the tests
  that call the mutated function (it finds them in a first, plain run of the selection
  in pyproject.toml's `[tool.mutmut]`). mutmut leaves module-level constants and decorated
  functions (properties) alone.
- ours, for those module-level constants: the guard's allow and deny lists and the digest's
  JSON settings, with one entry removed, added or changed at a time (`guard_constants`,
  `digest_constants`). Each mutant runs the part's tests in a child forked from a process
  that has imported them once, with the constant replaced in the module.

A mutant listed under "Equivalent mutants" in docs/mutation.md (it cannot change what the
code does) is counted apart; the score is killed / (mutants - equivalent). Every run starts
from a fresh `mutants/`, so the figures always describe the code and tests as they are.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import decimal
import hashlib
import importlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pglast import ast as pg

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
DOC = ROOT / "docs" / "mutation.md"
#: The heading of DOC's section that lists the equivalent mutants.
EQUIVALENT_SECTION = "## Equivalent mutants"
MUTMUT = Path(sys.executable).parent / "mutmut"

#: Tests whose only job is to fail when a list gains an entry without a test case of its own.
#: They would kill every constant mutant by comparison alone, so the constants pass leaves
#: them out: a constant mutant counts as killed only when behaviour changed.
COVERAGE_TESTS = "not covers_every"
#: A constant mutant that runs longer than this is a timeout (counted as killed, as mutmut does).
CONSTANT_TIMEOUT_SECONDS = 120

#: mutmut's exit codes (its `status_by_exit_code`) that mean the tests noticed the mutant.
_KILLED_CODES = {1: "killed", 3: "killed", 24: "timeout", -24: "timeout", 36: "timeout"}
_KILLED_CODES |= {152: "timeout", 255: "timeout"}
_OTHER_CODES = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", None: "not run"}


@dataclass(frozen=True)
class Mutant:
    """One mutant's outcome. `key` names it stably (see `_function_key`); `change` shows it."""

    key: str
    change: str
    status: str

    @property
    def killed(self) -> bool:
        return self.status in {"killed", "timeout"}


@dataclass(frozen=True)
class ConstantMutant:
    """A module-level constant with one entry removed (`-`), added (`+`) or changed (`~`)."""

    module: str
    name: str
    change: str
    value: Any

    @property
    def key(self) -> str:
        return f"{self.module.rpartition('.')[2]}.{self.name} {self.change}"


@dataclass(frozen=True)
class Part:
    name: str
    sources: tuple[str, ...]  # the files mutmut mutates (every function in them)
    tests: tuple[str, ...]  # what the constants pass runs
    constants: Callable[[], list[ConstantMutant]]


# --- the constant mutants -------------------------------------------------------------------

#: The guard's modules: every function and every list in them is mutated.
GUARD_MODULES = (
    "refsync.guard",
    "refsync.guard_nodes",
    "refsync.guard_relations",
    "refsync.guard_tree",
)
#: What each of the guard's lists gains, one entry at a time: entries one step outside it.
GUARD_ADDITIONS: dict[str, list[Any]] = {
    "CATALOG_SCHEMAS": ["public", "pg_toast"],
    # the catalog relations refsync reads itself: hiding one would break it
    "HIDDEN_CATALOG": [
        *("pg_class", "pg_attribute", "pg_namespace", "pg_constraint", "pg_type", "pg_enum"),
        *("pg_database", "pg_roles"),
    ],
    # files, sleeps, session locks, sequences, other servers
    "ALLOWED_FUNCTIONS": [
        *("pg_sleep", "pg_read_file", "pg_ls_dir", "nextval", "setval", "pg_advisory_lock"),
        *("dblink", "lo_import", "pg_terminate_backend", "query_to_xml"),
    ],
    "READABLE_SETTINGS": ["data_directory", "hba_file", "role"],
    # each would switch off a guarantee (triggers, the role) or leave the transaction
    "LOCAL_SETTINGS": [
        *((name, re.compile(".*")) for name in ("session_replication_role", "role")),
        ("default_transaction_read_only", re.compile(".*")),
    ],
    # regular expressions, text search, a user-defined operator
    "ALLOWED_OPERATORS": ["~", "!~", "~*", "@@", "===", "##"],
    "ALLOWED_NODES": [
        *(pg.XmlExpr, pg.RangeTableSample, pg.CurrentOfExpr, pg.RangeTableFunc),
        *(pg.GroupingSet, pg.ReturningOption),
    ],
    "SPECIFIC_REFUSALS": [(pg.SubLink, "subqueries are not allowed")],
    # each would switch off a guarantee or redirect names
    "SETTABLE": [
        *("session_replication_role", "row_security", "search_path", "role"),
        "session_authorization",
    ],
    "READ_ONLY_SETTINGS": ["lock_timeout", "statement_timeout"],
    # The parser names no other transaction option: an addition could never be reached.
    "TRANSACTION_OPTIONS": [],
    "TRUE_WORDS": ["false", "off", "no", "0", ""],
}

#: Each LOCAL_SETTINGS pattern changed one step, in turn: wider (a value one step outside it
#: let through: a timeout that is off or out of range, read-write, row security on, another
#: text format, a schema of the user's on the search path) or narrower (a value refsync
#: sends, or the edge of the range, refused).
_TIMEOUT_CHANGES = [
    *(r"[0-9]{1,10}", r"-?[1-9][0-9]{0,9}", r"[1-9][0-9]{0,10}"),
    *(r"[1-9][0-9]{1,9}", r"[1-9][0-9]{0,8}"),
]
LOCAL_SETTING_CHANGES: dict[str, list[str]] = {
    "lock_timeout": _TIMEOUT_CHANGES,
    "statement_timeout": _TIMEOUT_CHANGES,
    "idle_in_transaction_session_timeout": _TIMEOUT_CHANGES,
    "transaction_read_only": ["on|true|off", "on|true|false", "on", "true"],
    "row_security": ["off|on", "off|true"],
    "intervalstyle": ["postgres|iso_8601", "postgres(_verbose)?"],
    "extra_float_digits": ["[0-1]", "-?1"],
    "search_path": ["pg_catalog|public", "pg_catalog(,.*)?", r"(.*,\s*)?pg_catalog"],
}
#: Constants that are a part of a list above, mutated through it: replacing the module's name
#: would change nothing, the list holds the object itself.
GUARD_PARTS = {"_POSITIVE_MS": "LOCAL_SETTINGS"}

#: The digest's constants: its by-type tables gain types that are not their own JSON form or
#: have no entry; `_TO_JSON`'s conversions are also changed, and the encoder's settings flipped.
DIGEST_ADDITIONS: dict[str, list[Any]] = {
    "_JSON_AS_IS": [float, decimal.Decimal, tuple, list, dict, bytes],
    "_TO_JSON": [(float, float), (bytes, bytes.hex)],
}
_ENCODER_SETTINGS: dict[str, Any] = {
    "sort_keys": True,
    "separators": (",", ":"),
    "ensure_ascii": False,
    "allow_nan": False,
}
_ENCODER_FLIPPED: dict[str, Any] = {
    "sort_keys": False,
    "separators": (", ", ": "),
    "ensure_ascii": True,
    "allow_nan": True,
}


def _show(entry: object) -> str:
    if isinstance(entry, tuple):
        return _show(entry[0])
    return entry.__name__ if isinstance(entry, type) else repr(entry)


def _entry_mutants(
    module: str, name: str, value: Any, additions: list[Any]
) -> list[ConstantMutant]:
    """`value` without each of its entries, then with each addition (a key and value for a
    dict). An addition already there would change nothing, so it is an error here."""
    entries = sorted(value, key=_show)
    out = [ConstantMutant(module, name, f"-{_show(e)}", _without(value, e)) for e in entries]
    for extra in additions:
        if (extra[0] if isinstance(value, dict) else extra) in value:
            raise ValueError(f"{name} already holds {extra!r}: adding it changes nothing")
        out.append(ConstantMutant(module, name, f"+{_show(extra)}", _with(value, extra)))
    return out


def _without(value: Any, entry: Any) -> Any:
    if isinstance(value, frozenset):
        return value - {entry}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k is not entry}
    return tuple(e for e in value if e is not entry)


def _with(value: Any, extra: Any) -> Any:
    if isinstance(value, frozenset):
        return value | {extra}
    if isinstance(value, dict):
        return {**value, extra[0]: extra[1]}
    return (*value, extra)


def guard_lists() -> dict[str, str]:
    """Each module-level list (or pattern) of the guard's modules -> the module that holds
    it, and reads it: a constant mutant replaces it there. A name in two modules is an error,
    as one of them would escape its mutants. Text and flags (`TYPE_CHECKING`) are no lists."""
    homes: dict[str, str] = {}
    for module in GUARD_MODULES:
        for name, value in vars(importlib.import_module(module)).items():
            if not name.isupper() or isinstance(value, str | bool):
                continue
            if name in homes:
                raise RuntimeError(f"the guard's {name} is in {homes[name]} and {module}")
            homes[name] = module
    return homes


def guard_constants() -> list[ConstantMutant]:
    """Every entry of every allow/deny list of the guard removed, and a step outside added;
    each pattern of LOCAL_SETTINGS changed one step."""
    homes = guard_lists()

    def value(name: str) -> Any:
        return getattr(importlib.import_module(homes[name]), name)

    if unknown := sorted(set(homes) - set(GUARD_ADDITIONS) - set(GUARD_PARTS)):
        raise RuntimeError(f"add the guard's {', '.join(unknown)} to GUARD_ADDITIONS")
    for part, whole in GUARD_PARTS.items():
        if all(entry is not value(part) for entry in value(whole).values()):
            raise RuntimeError(f"the guard's {part} is no part of {whole}: give it mutants")
    mutants = [
        mutant
        for name, additions in GUARD_ADDITIONS.items()
        for mutant in _entry_mutants(homes[name], name, value(name), additions)
    ]
    settings = "LOCAL_SETTINGS"
    return mutants + _pattern_mutants(homes[settings], value(settings), LOCAL_SETTING_CHANGES)


def _pattern_mutants(
    module: str, settings: Mapping[str, re.Pattern[str]], changes: Mapping[str, list[str]]
) -> list[ConstantMutant]:
    """LOCAL_SETTINGS (in `module`) with one setting's pattern replaced: `~name=pattern`."""
    if unknown := sorted(set(settings) ^ set(changes)):
        raise RuntimeError(f"LOCAL_SETTING_CHANGES and LOCAL_SETTINGS differ: {unknown}")
    out = []
    for name, patterns in changes.items():
        for pattern in patterns:
            if pattern == settings[name].pattern:
                raise ValueError(f"{name} is already {pattern!r}: the change changes nothing")
            value = {**settings, name: re.compile(pattern)}
            out.append(ConstantMutant(module, "LOCAL_SETTINGS", f"~{name}={pattern}", value))
    return out


def digest_constants() -> list[ConstantMutant]:
    """The digest's by-type tables and JSON encoder settings, one entry at a time."""
    from refsync import digest

    m = "refsync.digest"
    out = [
        mutant
        for name, additions in DIGEST_ADDITIONS.items()
        for mutant in _entry_mutants(m, name, getattr(digest, name), additions)
    ]
    table = digest._TO_JSON
    out += [
        ConstantMutant(m, "_TO_JSON", f"~{_show(kind)}: repr", {**table, kind: repr})
        for kind in sorted(table, key=_show)
    ]
    for option, value in _ENCODER_FLIPPED.items():
        encoder = json.JSONEncoder(**(_ENCODER_SETTINGS | {option: value}))
        out.append(ConstantMutant(m, "_CANONICAL_JSON", f"~{option}={value!r}", encoder))
    return out


# --- the parts ------------------------------------------------------------------------------

#: The diff's modules, in the order a row meets them (refsync/model.py holds only data classes
#: and properties, which mutmut does not mutate).
DIFF_SOURCES = (
    "refsync/keys.py",
    "refsync/compare.py",
    "refsync/candidates.py",
    "refsync/unchanged.py",
    "refsync/diff.py",
    "refsync/ordering.py",
)

PARTS = {
    "guard": Part(
        "guard",
        tuple(module.replace(".", "/") + ".py" for module in GUARD_MODULES),
        (
            "tests/unit/test_guard_lists.py",
            "tests/unit/test_guard_rules.py",
            "tests/unit/test_guard.py",
        ),
        guard_constants,
    ),
    "diff": Part(
        "diff",
        DIFF_SOURCES,
        (),
        list,
    ),
    "digest": Part(
        "digest",
        ("refsync/digest.py",),
        (
            "tests/unit/test_canonical.py",
            "tests/unit/test_digest.py",
            "tests/unit/test_plan_texts.py",
            "tests/unit/test_spill.py",
        ),
        digest_constants,
    ),
}


def _functions(source: str) -> list[tuple[str, str]]:
    """(qualified name, mutmut's mangled name) of every function and method in a file."""
    tree = ast.parse((ROOT / source).read_text())
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out.append((node.name, f"x_{node.name}"))
        elif isinstance(node, ast.ClassDef):
            out += [
                (f"{node.name}.{f.name}", f"x\u01c1{node.name}\u01c1{f.name}")
                for f in node.body
                if isinstance(f, ast.FunctionDef)
            ]
    return out


def _module(source: str) -> str:
    return source.removesuffix(".py").replace("/", ".")


# --- mutmut's mutants -----------------------------------------------------------------------


def run_mutmut(part: Part, log: Path) -> list[Mutant]:
    """Run (or re-run) every mutmut mutant of the part; return their outcomes."""
    patterns = [
        f"{_module(source)}.{mangled}__mutmut_*"
        for source in part.sources
        for _, mangled in _functions(source)
    ]
    with log.open("w") as out:
        # Our own venv's mutmut with patterns built from the part's function names.
        proc = subprocess.run(
            [str(MUTMUT), "run", *patterns],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").replace("\r", "\n").splitlines()[-30:]
        raise RuntimeError("mutmut failed:\n" + "\n".join(tail))
    out_mutants = []
    for source in part.sources:
        out_mutants += _outcomes(source)
    return out_mutants


def _outcomes(source: str) -> list[Mutant]:
    """The outcome of every mutmut mutant of one file, keyed as the report prints them."""
    module = _module(source)
    owned = {mangled: name for name, mangled in _functions(source)}
    meta = json.loads((MUTANTS / (source + ".meta")).read_text())
    out_mutants = []
    seen: dict[str, int] = {}
    for name, code in sorted(meta["exit_code_by_key"].items(), key=lambda item: _number(item[0])):
        mangled = name.rpartition(".")[2].rpartition("__mutmut_")[0]
        if mangled not in owned:
            continue
        status = _KILLED_CODES.get(code) or _OTHER_CODES.get(code, "suspicious")
        removed, added = _changed_lines(name, source)
        key = _function_key(f"{module}.{owned[mangled]}", removed, added)
        # The same change on two equal lines of one function: the second is `key#2`.
        seen[key] = seen.get(key, 0) + 1
        key += f"#{seen[key]}" if seen[key] > 1 else ""
        out_mutants.append(Mutant(key, _one_line(removed, added), status))
    return out_mutants


def _number(mutant: str) -> tuple[str, int]:
    """`module.x_f__mutmut_12` -> ("module.x_f", 12): mutmut's order within a function."""
    function, _, number = mutant.rpartition("__mutmut_")
    return function, int(number)


def _changed_lines(mutant: str, source: str) -> tuple[list[str], list[str]]:
    """The lines a mutmut mutant removes and adds, whitespace-trimmed."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        diff = get_diff_for_mutant(mutant, path=source)
    finally:
        os.chdir(cwd)
    lines = diff.splitlines()[2:]  # past the ---/+++ header
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    return removed, added


def _function_key(function: str, removed: list[str], added: list[str]) -> str:
    """`module.function hash`: the hash is of the changed lines, so the key survives edits
    elsewhere in the file (mutmut's own numbers shift whenever a function changes)."""
    text = "\n".join(["-" + line for line in removed] + ["+" + line for line in added])
    short = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{function.removeprefix('refsync.')} {short}"


def _one_line(removed: list[str], added: list[str]) -> str:
    return " / ".join(removed) + "  =>  " + " / ".join(added)


# --- our constant mutants -------------------------------------------------------------------


def run_constants(part: Part, workers: int) -> list[Mutant]:
    """Each constant mutant against the part's tests, in a forked child (see module doc)."""
    mutants = part.constants()
    if not mutants:
        return []
    import pytest

    args = [*part.tests, "-q", "-x", "-p", "no:cacheprovider", "--hypothesis-seed=0"]
    args += ["-k", COVERAGE_TESTS]
    with _silenced():  # import every test module once, here, before the forks
        collected = pytest.main([*args, "--collect-only"])
    if collected != 0:
        raise RuntimeError(f"collecting {' '.join(part.tests)} failed ({collected})")
    clean = _fork_run(None, args)
    if clean != 0:
        raise RuntimeError(f"the tests of {part.name} fail without any mutant ({clean})")
    results: dict[int, int] = {}
    running: dict[int, int] = {}  # pid -> index
    todo = list(enumerate(mutants))
    while todo or running:
        while todo and len(running) < workers:
            index, mutant = todo.pop(0)
            running[_fork(mutant, args)] = index
        pid, status = os.wait()
        results[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    return [
        Mutant(mutant.key, mutant.key, _constant_status(results[i]))
        for i, mutant in enumerate(mutants)
    ]


def _constant_status(code: int) -> str:
    if code == -signal.SIGALRM:
        return "timeout"
    return {0: "survived", 1: "killed", 5: "no tests"}.get(code, "suspicious")


def _fork_run(mutant: ConstantMutant | None, args: list[str]) -> int:
    _, status = os.waitpid(_fork(mutant, args), 0)
    return os.waitstatus_to_exitcode(status)


def _fork(mutant: ConstantMutant | None, args: list[str]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        import pytest

        _silence_for_good()
        signal.alarm(CONSTANT_TIMEOUT_SECONDS)
        if mutant is not None:
            setattr(importlib.import_module(mutant.module), mutant.name, mutant.value)
        code = int(pytest.main(args))
    finally:
        os._exit(code)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """Send this process's stdout and stderr to /dev/null for a while."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    _silence_for_good()
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)


def _silence_for_good() -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)


# --- the report -----------------------------------------------------------------------------


def equivalent_keys(path: Path = DOC) -> dict[str, str]:
    """The mutants listed as equivalent, each with its reason: list items that start with
    one or more keys in backticks, then say why (`- \\`KEY\\`, \\`KEY\\`: why`)."""
    text = path.read_text()
    if EQUIVALENT_SECTION not in text:
        raise RuntimeError(f"{path.name} has no section {EQUIVALENT_SECTION!r}")
    items: list[str] = []
    for line in text[text.index(EQUIVALENT_SECTION) :].splitlines():
        if line.startswith("- "):
            items.append(line)
        elif line.startswith("  ") and items:  # an item's continuation line
            items[-1] += " " + line.strip()
        else:
            items.append("")
    keys = {}
    for item in items:
        if found := re.match(r"- ((?:`[^`]+`(?:, )?)+)(.*)", item):
            for key in re.findall(r"`([^`]+)`", found[1]):
                keys[key] = found[2].strip(" :")
    return keys


@dataclass(frozen=True)
class Score:
    part: str
    mutants: int
    killed: int
    survived: int
    equivalent: int
    seconds: float  # wall time
    cpu_seconds: float  # this process and its children: what an idle machine would take

    @property
    def score(self) -> float:
        judged = self.mutants - self.equivalent
        return 100.0 * self.killed / judged if judged else 100.0


def score(
    part: str, mutants: Sequence[Mutant], equivalent: Iterable[str], seconds: tuple[float, float]
) -> Score:
    listed = set(equivalent)
    killed = sum(m.killed for m in mutants)
    same = sum(not m.killed and m.key in listed for m in mutants)
    return Score(part, len(mutants), killed, len(mutants) - killed - same, same, *seconds)


def table(scores: Sequence[Score]) -> Iterator[str]:
    yield "| part | mutants | killed | survived | equivalent | score | seconds | CPU seconds |"
    yield "|---|---:|---:|---:|---:|---:|---:|---:|"
    for s in scores:
        yield (
            f"| {s.part} | {s.mutants} | {s.killed} | {s.survived} | {s.equivalent} "
            f"| {s.score:.1f}% | {s.seconds:.0f} | {s.cpu_seconds:.0f} |"
        )


def _cpu_seconds() -> float:
    """User and system time of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 tasks.py mutate", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="part", help=", ".join(PARTS) + " (all)")
    parser.add_argument("--fail-under", type=float, default=90.0, metavar="PERCENT")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    opts = parser.parse_args(argv)
    unknown = sorted(set(opts.parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part {', '.join(unknown)}: choose from {', '.join(PARTS)}")
    parts = [PARTS[name] for name in (opts.parts or PARTS)]
    equivalent = equivalent_keys()

    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir()
    scores, all_mutants = [], []
    for part in parts:
        start, cpu = time.perf_counter(), _cpu_seconds()
        print(f"mutate: {part.name}: mutmut (log: mutants/{part.name}.log)", flush=True)
        mutants = run_mutmut(part, MUTANTS / f"{part.name}.log")
        print(f"mutate: {part.name}: constants", flush=True)
        constants = run_constants(part, opts.workers)
        for kind, some in (("mutmut", mutants), ("constant", constants)):
            killed = sum(m.killed for m in some)
            print(f"mutate: {part.name}: {kind} mutants: {len(some)}, killed {killed}")
        mutants += constants
        spent = (time.perf_counter() - start, _cpu_seconds() - cpu)
        scores.append(score(part.name, mutants, equivalent, spent))
        all_mutants += mutants
        _print_survivors(part.name, mutants, equivalent)

    for line in table(scores):
        print(line)
    _check_equivalent_list(all_mutants, equivalent, full=not opts.parts)
    low = [s.part for s in scores if s.score < opts.fail_under]
    if low:
        print(f"mutate: below {opts.fail_under:g}%: {', '.join(low)}", file=sys.stderr)
    return 1 if low else 0


def _print_survivors(part: str, mutants: Sequence[Mutant], equivalent: dict[str, str]) -> None:
    alive = [m for m in mutants if not m.killed and m.key not in equivalent]
    for m in sorted(alive, key=lambda m: m.key):
        print(f"  {m.status}: `{m.key}`  {m.change if m.change != m.key else ''}".rstrip())


def _check_equivalent_list(
    mutants: Sequence[Mutant], equivalent: dict[str, str], *, full: bool
) -> None:
    """An entry that names a killed mutant, or (on a full run) none at all, is stale."""
    by_key = {m.key: m for m in mutants}
    for key in equivalent:
        if key in by_key and by_key[key].killed:
            print(f"mutate: listed as equivalent but killed now: `{key}`", file=sys.stderr)
        elif full and key not in by_key:
            print(f"mutate: listed as equivalent but no such mutant: `{key}`", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
