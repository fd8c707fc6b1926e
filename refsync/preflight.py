"""The privileges check before any row is read: every column privilege, schema USAGE and
sequence USAGE the run needs, on both sides, from the layouts and prod's referrers. What
reading needs (and, for an apply, writing) is refused all at once with the GRANT script;
what only an apply would need is returned for the plan to show.
"""

from __future__ import annotations

from collections.abc import Sequence

from refsync.catalog import Catalog
from refsync.config import Config
from refsync.db import Database
from refsync.errors import SafetyError
from refsync.layouts import Layout
from refsync.privileges import Missing, Need, missing_privileges
from refsync.snapshot import Identity


def check_privileges(
    config: Config,
    layouts: Sequence[Layout],
    prod_cat: Catalog,
    *,
    dev: Database,
    dev_id: Identity,
    prod: Database,
    prod_id: Identity,
    apply: bool,
) -> Missing:
    """Check every privilege the run will need, on both sides, before reading a row: refuse
    (listing all of them, with the GRANT script) when reading could not succeed or when an
    apply could not write; otherwise return what an apply would lack, for the plan."""
    dev_needs, prod_needs, defaults_of = _needed_privileges(config, layouts, prod_cat)
    lacking = [
        missing_privileges(dev, dev_id.user, dev_needs),
        missing_privileges(prod, prod_id.user, prod_needs, defaults_of),
    ]
    refused = [m for m in lacking if m.blocks_reading or (apply and m.side == "prod" and m)]
    if refused:
        raise SafetyError(
            "the database roles lack privileges this run needs:\n"
            + "\n".join(f"  {m.side} role `{m.role}`: {line}" for m in refused for line in m.lines),
            fix="run this as the tables' owner (each block on its own database), then "
            "re-run:\n" + "\n".join(f"-- on {m.side}\n" + "\n".join(m.script) for m in refused),
        )
    return lacking[1]


def _needed_privileges(
    config: Config, layouts: Sequence[Layout], prod_cat: Catalog
) -> tuple[list[Need], list[Need], dict[tuple[str, str], set[str]]]:
    """What dev's role must read, what prod's role must read and write, and per reference
    table the prod columns an insert leaves to their defaults (whose sequences it uses)."""
    fp = config.fingerprint
    fp_needs: list[Need] = [
        (*fp.relation, c, "SELECT") for c in (fp.id_column, fp.environment_column)
    ] + [(*fp.relation, fp.fingerprint_column, "SELECT"), (fp.relation[0], "", "", "USAGE")]
    dev_needs = list(fp_needs)
    prod_needs = list(fp_needs)
    defaults_of: dict[tuple[str, str], set[str]] = {}
    for layout in layouts:
        schema, name = layout.relation
        inserted = {*layout.insert, *layout.touch} | (
            {layout.pk} if not layout.pk_from_prod else set()
        )
        dev_needs += [(schema, "", "", "USAGE")]
        dev_needs += [(schema, name, c, "SELECT") for c in layout.dev_read]
        prod_needs += [(schema, "", "", "USAGE")]
        prod_needs += [(schema, name, c, "SELECT") for c in layout.prod_read]
        prod_needs += [(schema, name, c, "INSERT") for c in sorted(inserted)]
        prod_needs += [(schema, name, c, "UPDATE") for c in (*layout.compare, *layout.touch)]
        prod_needs += [
            (*r.relation, r.column, "SELECT") for r in prod_cat.referrers[layout.relation]
        ] + [(r.relation[0], "", "", "USAGE") for r in prod_cat.referrers[layout.relation]]
        defaults_of[layout.relation] = set(prod_cat.tables[layout.relation].columns) - inserted
    return dev_needs, prod_needs, defaults_of
