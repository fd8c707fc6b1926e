"""Rows for the marketplace schema: the fingerprint, a realistic demo, and benchmark scale."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

SCHEMA_TIMESTAMP_DEV = "2025-06-01 09:30:00"
SCHEMA_TIMESTAMP_PROD = "2025-02-10 14:05:00"


def set_fingerprint(conn: psycopg.Connection[Any], environment: str, fingerprint: str) -> None:
    """Create or replace the ``database_metadata`` singleton row."""
    conn.execute(
        """
        INSERT INTO "database_metadata" ("id", "environment", "fingerprint", "updatedAt")
        VALUES ('singleton', %s, %s, CURRENT_TIMESTAMP)
        ON CONFLICT ("id") DO UPDATE
        SET "environment" = EXCLUDED."environment",
            "fingerprint" = EXCLUDED."fingerprint",
            "updatedAt" = EXCLUDED."updatedAt"
        """,
        [environment, fingerprint],
    )


@dataclass(frozen=True)
class _Service:
    name: str
    price: str
    description: str


@dataclass(frozen=True)
class _Category:
    name: str
    icon: str
    description: str
    services: tuple[_Service, ...]


def _s(name: str, price: str, description: str) -> _Service:
    return _Service(name, price, description)


CATALOGUE: tuple[_Category, ...] = (
    _Category(
        "Home Cleaning",
        "sparkles",
        "Recurring and one-off cleaning for homes.",
        (
            _s("Standard House Cleaning", "79.00", "Kitchen, bathrooms, dusting and floors."),
            _s("Deep House Cleaning", "189.00", "Top-to-bottom clean including inside cupboards."),
            _s("Move-Out Cleaning", "249.00", "Deposit-ready clean of an empty property."),
            _s("Oven Cleaning", "65.00", "Racks, glass and interior degreased."),
            _s("Window Cleaning (Interior)", "55.00", "All reachable inside panes and sills."),
            _s("Carpet Shampoo", "120.00", "Hot-water extraction for up to three rooms."),
        ),
    ),
    _Category(
        "Handyman Services",
        "wrench",
        "Small repairs and installations.",
        (
            _s("Furniture Assembly", "60.00", "Flat-pack furniture assembled and anchored."),
            _s("TV Wall Mounting", "95.00", "Bracket, cable concealment and levelling."),
            _s("Shelf Installation", "45.00", "Up to three shelves on any wall type."),
            _s("Door Repair", "70.00", "Sticking doors, hinges and handles fixed."),
            _s("Leaky Tap Repair", "55.00", "Washer or cartridge replacement."),
        ),
    ),
    _Category(
        "Beauty & Wellness",
        "flower",
        "Treatments at home or in a partner salon.",
        (
            _s("Café & Spa Day", "149.00", "Massage, facial and lunch at a partner spa."),
            _s("Swedish Massage (60 min)", "85.00", "Full-body relaxation massage."),
            _s("Manicure & Pedicure", "65.00", "Shape, cuticle care and polish."),
            _s("Bridal Make-up", "220.00", "Trial plus wedding-day application."),
            _s("Men's Haircut at Home", "35.00", "Cut and style in your home."),
        ),
    ),
    _Category(
        "Gardening",
        "leaf",
        "Lawn, hedge and garden care.",
        (
            _s("Lawn Mowing", "40.00", "Mow, edge and clippings removed."),
            _s("Hedge Trimming", "75.00", "Up to 20 metres of hedge shaped."),
            _s("Garden Clearance", "180.00", "Green waste cleared and taken away."),
            _s("Seasonal Planting", "95.00", "Bedding plants chosen and planted."),
            _s("Gutter Cleaning", "85.00", "Gutters and downpipes cleared."),
        ),
    ),
    _Category(
        "Moving & Delivery",
        "truck",
        "Vans and helping hands.",
        (
            _s("Man with a Van (2 h)", "110.00", "One mover and a van for two hours."),
            _s("Studio Flat Move", "290.00", "Two movers, van and basic packing."),
            _s("Furniture Delivery", "70.00", "Collect and deliver a single item."),
            _s("Packing Service", "150.00", "Boxes, wrapping and labelled packing."),
            _s("Piano Moving", "380.00", "Specialist crew and equipment."),
        ),
    ),
    _Category(
        "Pet Care",
        "paw",
        "Walking, sitting and grooming.",
        (
            _s("Dog Walking (30 min)", "15.00", "Solo walk with photo update."),
            _s("Pet Sitting (overnight)", "55.00", "Overnight stay in your home."),
            _s("Dog Grooming", "60.00", "Bath, trim, nails and ears."),
            _s("Cat Visit", "14.00", "Feeding, litter and play."),
        ),
    ),
    _Category(
        "Tutoring",
        "book",
        "Lessons for all ages.",
        (
            _s("Maths Tutoring (GCSE)", "45.00", "One-hour session with a qualified tutor."),
            _s("Piano Lessons", "40.00", "Beginner to grade 8."),
            _s("Spanish Conversation", "35.00", "Conversation practice with a native speaker."),
            _s("Coding for Kids", "50.00", "Scratch and Python for ages 8-14."),
            _s("Chemistry Tutoring (A-Level)", "50.00", "Exam-focused sessions with past papers."),
        ),
    ),
    _Category(
        "Tech Support",
        "laptop",
        "Help with computers and home networks.",
        (
            _s("Wi-Fi Setup", "70.00", "Router, mesh and device setup."),
            _s("Laptop Tune-Up", "60.00", "Clean-up, updates and malware scan."),
            _s("Smart Home Installation", "130.00", "Thermostat, lights and speakers connected."),
            _s("Data Recovery", "150.00", "Recovery from failing drives, no fix no fee."),
            _s("Printer Setup", "40.00", "Drivers, network and mobile printing."),
        ),
    ),
)

# How prod differs from dev in the demo (prod is an older copy that has lived on).
_NEW_IN_DEV = {
    "Carpet Shampoo",
    "Door Repair",
    "Bridal Make-up",
    "Seasonal Planting",
    "Piano Moving",
    "Cat Visit",
    "Coding for Kids",
    "Smart Home Installation",
}
_CHANGED_IN_DEV = {  # prod still has the old price and description
    "Deep House Cleaning": ("169.00", "Thorough clean of every room."),
    "TV Wall Mounting": ("85.00", "Bracket and levelling."),
    "Café & Spa Day": ("139.00", "Massage and facial at a partner spa."),
    "Lawn Mowing": ("35.00", "Mow and edge."),
    "Dog Grooming": ("55.00", "Bath, trim and nails."),
    "Wi-Fi Setup": ("65.00", "Router setup."),
}
_BOOKED_IN_PROD = [  # changed ones must be skipped by refsync, unchanged ones are just used
    "Deep House Cleaning",
    "Café & Spa Day",
    "Dog Grooming",
    "Standard House Cleaning",
    "Furniture Assembly",
    "Swedish Massage (60 min)",
]
_PROD_CATEGORY_NAMES = {  # same slug as dev, so it matches and is updated, not duplicated
    "Handyman Services": "Handyman services",
}
_PROD_ONLY_CATEGORY = ("Seasonal Offers", "gift", "Limited-time bundles.")
_PROD_ONLY_SERVICES = [
    _s("Christmas Tree Delivery", "49.00", "Delivered and set up in your stand."),
    _s("Spring Clean Bundle", "299.00", "Deep clean plus windows and oven."),
]


class _Ids:
    """Deterministic cuid-like ids, so reruns of the demo produce identical databases."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)  # noqa: S311  # reproducible ids, not secrets

    def __call__(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "c" + "".join(self._rng.choice(alphabet) for _ in range(24))


def seed_demo(dev_conn: psycopg.Connection[Any], prod_conn: psycopg.Connection[Any]) -> None:
    """Fill empty dev and prod marketplace databases with the demo data (see module tables)."""
    dev_id, prod_id = _Ids("dev"), _Ids("prod")
    dev_categories, dev_services = [], []
    prod_categories, prod_services = [], []
    prod_service_ids: dict[str, str] = {}
    for category in CATALOGUE:
        dcat, pcat = dev_id(), prod_id()
        dev_categories.append(
            (dcat, category.name, category.description, category.icon, SCHEMA_TIMESTAMP_DEV)
        )
        prod_categories.append(
            (
                pcat,
                _PROD_CATEGORY_NAMES.get(category.name, category.name),
                category.description,
                category.icon,
                SCHEMA_TIMESTAMP_PROD,
            )
        )
        for service in category.services:
            dev_services.append(
                (
                    dev_id(),
                    service.name,
                    service.description,
                    Decimal(service.price),
                    dcat,
                    SCHEMA_TIMESTAMP_DEV,
                )
            )
            if service.name in _NEW_IN_DEV:
                continue
            price, description = _CHANGED_IN_DEV.get(
                service.name, (service.price, service.description)
            )
            sid = prod_id()
            prod_service_ids[service.name] = sid
            prod_services.append(
                (sid, service.name, description, Decimal(price), pcat, SCHEMA_TIMESTAMP_PROD)
            )
    extra_cat = prod_id()
    prod_categories.append((extra_cat, *_PROD_ONLY_CATEGORY, SCHEMA_TIMESTAMP_PROD))
    for service in _PROD_ONLY_SERVICES:
        sid = prod_id()
        prod_service_ids[service.name] = sid
        prod_services.append(
            (
                sid,
                service.name,
                service.description,
                Decimal(service.price),
                extra_cat,
                SCHEMA_TIMESTAMP_PROD,
            )
        )

    _insert_reference(dev_conn, dev_categories, dev_services)
    _insert_reference(prod_conn, prod_categories, prod_services)
    _insert_business(prod_conn, prod_id, prod_service_ids)


def _insert_reference(
    conn: psycopg.Connection[Any],
    categories: list[tuple[Any, ...]],
    services: list[tuple[Any, ...]],
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO "service_categories"
               ("id", "name", "description", "icon", "createdAt", "updatedAt")
               VALUES (%s, %s, %s, %s, %s, %s)""",
            [(*c, c[-1]) for c in categories],
        )
        cur.executemany(
            """INSERT INTO "services"
               ("id", "name", "description", "price", "categoryId", "createdAt", "updatedAt")
               VALUES (%s, %s, %s, %s, %s, %s, %s)""",
            [(*s, s[-1]) for s in services],
        )


def _insert_business(
    conn: psycopg.Connection[Any], new_id: _Ids, service_ids: dict[str, str]
) -> None:
    people = [
        ("amelia.clarke@example.com", "Amelia Clarke", "CUSTOMER"),
        ("jonas.weber@example.com", "Jonas Weber", "CUSTOMER"),
        ("priya.shah@example.com", "Priya Shah", "PROVIDER"),
        ("marco.rossi@example.com", "Marco Rossi", "PROVIDER"),
    ]
    users = [(new_id(), email, name, role) for email, name, role in people]
    providers = [
        (new_id(), users[2][0], "Shah Home Services", "London"),
        (new_id(), users[3][0], "Rossi Wellness", "Manchester"),
    ]
    offered = [
        (providers[0][0], service_ids["Standard House Cleaning"]),
        (providers[0][0], service_ids["Deep House Cleaning"]),
        (providers[0][0], service_ids["Furniture Assembly"]),
        (providers[1][0], service_ids["Café & Spa Day"]),
        (providers[1][0], service_ids["Swedish Massage (60 min)"]),
    ]
    bookings = []
    for i, name in enumerate(_BOOKED_IN_PROD):
        bookings.append(
            (
                new_id(),
                service_ids[name],
                users[i % 2][0],
                providers[i % 2][0],
                "COMPLETED" if i % 3 else "CONFIRMED",
                f"2025-03-{10 + i:02d} 10:00:00",
                f"{12 + i} Market Street",
                Decimal("100.00") + i,
            )
        )
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO "users" ("id", "email", "name", "role", "updatedAt")
               VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)""",
            users,
        )
        cur.executemany(
            """INSERT INTO "providers" ("id", "userId", "businessName", "city", "updatedAt")
               VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)""",
            providers,
        )
        cur.executemany(
            """INSERT INTO "provider_services" ("providerId", "serviceId") VALUES (%s, %s)""",
            offered,
        )
        cur.executemany(
            """INSERT INTO "bookings" ("id", "serviceId", "userId", "providerId", "status",
                 "scheduledAt", "address", "price", "updatedAt")
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, CURRENT_TIMESTAMP)""",
            bookings,
        )
        cur.executemany(
            """INSERT INTO "payments" ("id", "bookingId", "amount", "status", "paidAt",
                 "updatedAt")
               VALUES (%s, %s, %s, 'SUCCEEDED', %s, CURRENT_TIMESTAMP)""",
            [(new_id(), b[0], b[7], b[5]) for b in bookings if b[4] == "COMPLETED"],
        )
        cur.executemany(
            """INSERT INTO "reviews" ("id", "bookingId", "rating", "comment", "updatedAt")
               VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)""",
            [
                (new_id(), bookings[1][0], 5, "Lovely afternoon, would book again."),
                (new_id(), bookings[4][0], 4, "Quick and tidy."),
            ],
        )
        cur.execute(
            """INSERT INTO "catalogue_items" ("id", "serviceId", "title", "isFeatured",
                 "updatedAt")
               VALUES (%s, %s, 'Lawn care, sorted', true, CURRENT_TIMESTAMP)""",
            [new_id(), service_ids["Lawn Mowing"]],
        )
        cur.execute(
            """INSERT INTO "booking_drafts" ("id", "serviceId", "userId", "expiresAt",
                 "updatedAt")
               VALUES (%s, %s, %s, '2030-01-01', CURRENT_TIMESTAMP)""",
            [new_id(), service_ids["Wi-Fi Setup"], users[1][0]],
        )


# A row's band in [0, 1) decides whether it is new, changed or protected; derived from
# md5 so the same seed gives the same databases without a per-row query.
_BAND = """(('x' || substr(md5(%(seed)s || ':' || n), 1, 8))::bit(32)::bigint / 4294967296.0)"""


def seed_scale(
    dev_conn: psycopg.Connection[Any],
    prod_conn: psycopg.Connection[Any],
    services: int,
    *,
    new: float = 0.05,
    changed: float = 0.05,
    protected: float = 0.02,
    seed: int = 0,
    description_bytes: int = 0,
) -> dict[str, int]:
    """Fill dev and prod with ``services`` generated services; return the expected counts.

    Bands of the per-row hash: [0, new) exist only in dev; [new, new+changed) differ in
    price and description in prod; protected rows straddle the end of the changed band so
    half of them are also changed. Dev ids are ``d_<n>``, prod ids ``p_<n>``.
    ``description_bytes`` pads every service's description (both sides alike, so an unchanged
    row stays unchanged) to about that many bytes: the benchmark's wide variant.
    """
    params: dict[str, Any] = {
        "n": services,
        "cats": max(1, -(-services // 50)),
        "seed": str(seed),
        "new": new,
        "changed_end": new + changed,
        "prot_lo": new + changed - protected / 2,
        "prot_hi": new + changed + protected / 2,
        "pad": " " + "lorem ipsum dolor sit amet " * (description_bytes // 27)
        if description_bytes
        else "",
    }
    dev_conn.execute(
        """INSERT INTO "service_categories"
             ("id", "name", "description", "icon", "createdAt", "updatedAt")
           SELECT 'dc_' || c, 'Category ' || c, 'Services of kind ' || c, 'icon-' || (c %% 20),
                  '2025-06-01', '2025-06-01'
           FROM generate_series(1, %(cats)s) AS c""",
        params,
    )
    prod_conn.execute(
        """INSERT INTO "service_categories"
             ("id", "name", "description", "icon", "createdAt", "updatedAt")
           SELECT 'pc_' || c, 'Category ' || c, 'Services of kind ' || c, 'icon-' || (c %% 20),
                  '2025-02-10', '2025-02-10'
           FROM generate_series(1, %(cats)s) AS c""",
        params,
    )
    dev_conn.execute(
        """INSERT INTO "services"
             ("id", "name", "description", "price", "categoryId", "createdAt", "updatedAt")
           SELECT 'd_' || n, 'Service ' || n, 'Description of service ' || n || %(pad)s,
                  10 + (n::int8 * 7919 %% 50000) / 100.0, 'dc_' || ((n - 1) / 50 + 1),
                  '2025-06-01', '2025-06-01'
           FROM generate_series(1, %(n)s) AS n""",
        params,
    )
    prod_conn.execute(
        f"""INSERT INTO "services"
             ("id", "name", "description", "price", "categoryId", "createdAt", "updatedAt")
           SELECT 'p_' || n, 'Service ' || n,
                  CASE WHEN b < %(changed_end)s THEN 'Old description of service ' || n
                       ELSE 'Description of service ' || n END || %(pad)s,
                  10 + (n::int8 * 7919 %% 50000) / 100.0
                     + CASE WHEN b < %(changed_end)s THEN 5 ELSE 0 END,
                  'pc_' || ((n - 1) / 50 + 1), '2025-02-10', '2025-02-10'
           FROM generate_series(1, %(n)s) AS n, LATERAL (SELECT {_BAND} AS b) AS band
           WHERE b >= %(new)s""",
        params,
    )
    prod_conn.execute(
        """INSERT INTO "users" ("id", "email", "name", "updatedAt")
           VALUES ('pu_1', 'bench@example.com', 'Bench Customer', '2025-02-10')"""
    )
    prod_conn.execute(
        f"""INSERT INTO "bookings" ("id", "serviceId", "userId", "status", "scheduledAt",
             "price", "updatedAt")
           SELECT 'pb_' || n, 'p_' || n, 'pu_1', 'COMPLETED', '2025-03-01', 50, '2025-03-01'
           FROM generate_series(1, %(n)s) AS n, LATERAL (SELECT {_BAND} AS b) AS band
           WHERE b >= %(prot_lo)s AND b < %(prot_hi)s AND b >= %(new)s""",
        params,
    )
    counts = prod_conn.execute(
        """SELECT
             (SELECT count(*) FROM "services"),
             (SELECT count(*) FROM "services" WHERE "description" LIKE 'Old %'),
             (SELECT count(*) FROM "bookings"),
             (SELECT count(*) FROM "services" s
              WHERE s."description" LIKE 'Old %'
                AND EXISTS (SELECT FROM "bookings" b WHERE b."serviceId" = s."id"))"""
    ).fetchone()
    if counts is None:
        raise RuntimeError("count query returned no row")
    prod_services, prod_changed, protected_rows, protected_changed = counts
    return {
        "dev_services": services,
        "prod_services": prod_services,
        "new": services - prod_services,
        "changed": prod_changed,
        "protected": protected_rows,
        "protected_changed": protected_changed,
    }
