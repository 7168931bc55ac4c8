"""Benchmark: a scoped list page beside the same page unscoped, on 1,000,000 rows.

    make bench-scoping                  # builds the data set once (crm_bench), then measures
    BENCH_REBUILD=1 make bench-scoping # builds it again
    BENCH_SCALE=0.01 make bench-scoping # 10,000 rows (or BENCH_ROWS)

The data set: 300 users in a five-level hierarchy (1 director, 4 heads, 15 managers, 60 team
leads, 220 reps; every fourth person below the top has a second supervisor), 1,000,000 records
of the sample scoped model (tests/scoping_app, a ``crm.scoping.ScopedModel``) spread over the
users, 90 % in the first own company and 10 % in the second.

For one persona of each level (and a "see all in company" user) it times the page query the
list view runs (``visible_page``: 51 rows, newest first) and the same page unscoped
(``WHERE company_id = … ORDER BY id DESC LIMIT 51``), both as SQL sent to PostgreSQL through
psycopg in the same run, interleaved, median of many runs. It prints both and their ratio.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import env  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
DATABASE = env.database_name("crm_bench")
os.environ["DATABASE_URL"] = env.database_url("crm_bench")
# tests.settings takes its Redis from TEST_REDIS_URL (else database 15, which the tests empty)
os.environ["TEST_REDIS_URL"] = env.redis_url()

ROWS = env.scaled(1_000_000, override="BENCH_ROWS")
LEVELS = [1, 4, 15, 60, 220]
RUNS = int(os.environ.get("BENCH_RUNS", "300"))


def ensure_database() -> None:
    env.ensure_database(DATABASE)


def build(cursor) -> None:
    import pgtrigger

    """Users, hierarchy, memberships, groups and the rows, in SQL (a minute or so)."""
    print(f"building the data set: {sum(LEVELS)} users, {ROWS:,} rows …", flush=True)
    cursor.execute(
        "TRUNCATE crm_visibility, scoping_app_memo, crm_supervisorlink, crm_membership, "
        "crm_user_groups, crm_company, crm_user RESTART IDENTITY CASCADE"
    )
    cursor.execute(
        "INSERT INTO crm_company (name, tax_number, registration_number, is_active,"
        " created_at, updated_at) VALUES ('Első Kft.', '10773381-2-44', '', true,"
        " now(), now()), ('Második Zrt.', '12345676-2-41', '', true, now(), now())"
    )
    total = sum(LEVELS)
    cursor.execute(
        "INSERT INTO crm_user (password, is_superuser, username, first_name, last_name, email,"
        " is_staff, is_active, date_joined, current_company_id)"
        " SELECT '!', false, 'u' || g, 'Bench', 'User ' || g, '', false, true, now(), 1"
        " FROM generate_series(1, %s) g",
        [total],
    )
    cursor.execute(
        "INSERT INTO crm_membership (user_id, company_id, created_at, updated_at)"
        " SELECT id, 1, now(), now() FROM crm_user"
    )
    cursor.execute(
        "INSERT INTO crm_user_groups (user_id, group_id) SELECT u.id, g.id"
        " FROM crm_user u, auth_group g WHERE g.name = 'Értékesítő'"
    )
    links, start = [], 1
    for level, size in enumerate(LEVELS[1:], start=1):
        above = list(range(start, start + LEVELS[level - 1]))
        first = start + LEVELS[level - 1]
        for i, user_id in enumerate(range(first, first + size)):
            links.append((user_id, above[i % len(above)]))
            if i % 4 == 3 and len(above) > 1:
                links.append((user_id, above[(i + 1) % len(above)]))
        start = first
    started = time.perf_counter()
    cursor.executemany(
        "INSERT INTO crm_supervisorlink (user_id, supervisor_id, created_at)"
        " VALUES (%s, %s, now())",
        links,
    )
    print(f"  hierarchy in {time.perf_counter() - started:.1f} s", flush=True)
    # The bench rows need no change history; the visibility triggers stay on.
    with pgtrigger.ignore("scoping_app.Memo:insert_insert"):
        cursor.execute(
            "INSERT INTO scoping_app_memo (company_id, owner_id, created_at, updated_at, version,"
            " title, body)"
            " SELECT CASE WHEN g %% 10 = 0 THEN 2 ELSE 1 END,"
            " 1 + (hashint4(g)::bigint & 2147483647) %% %s, now(), now(), 1,"
            " 'Feljegyzés ' || g, '' FROM generate_series(1, %s) g",
            [total, ROWS],
        )
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    cursor.execute("ANALYZE")


def persona_ids() -> dict[str, int]:
    starts, start = [], 1
    for size in LEVELS:
        starts.append(start)
        start += size
    return {
        "director": starts[0],
        "head": starts[1],
        "manager": starts[2],
        "team lead": starts[3] + 3,
        "rep": starts[4] + 5,
    }


def timed(cursor, sql: str, params) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params)
    cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    ensure_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connection

    from crm import hierarchy
    from crm.groups import DEFAULT_GROUPS
    from tests.scoping_app.models import Memo

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scoping_app_memo")
        if cursor.fetchone()[0] != ROWS or os.environ.get("BENCH_REBUILD"):
            build(cursor)
    rep_group = Permission.objects.get(codename="view_memo").group_set
    if not rep_group.filter(name=DEFAULT_GROUPS["sales_rep"]).exists():
        from django.contrib.auth.models import Group

        Group.objects.get(name=DEFAULT_GROUPS["sales_rep"]).permissions.add(
            Permission.objects.get(codename="view_memo")
        )
    User = get_user_model()
    see_all = User.objects.get(username="u300")
    see_all.user_permissions.add(Permission.objects.get(codename="view_all_company_records"))

    people = {name: User.objects.get(pk=pk) for name, pk in persona_ids().items()}
    people["see all in company"] = User.objects.get(pk=see_all.pk)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        list(Memo.objects.filter(company_id=1).order_by("-pk")[:51])
    unscoped_sql = captured.captured_queries[-1]["sql"]

    print(
        f"\nPostgreSQL, {ROWS:,} rows, {sum(LEVELS)} users; median of {RUNS} runs each,"
        " scoped and unscoped interleaved\n"
    )
    print(f"{'persona':<20}{'sees owners':>12}{'scoped ms':>12}{'unscoped ms':>13}{'ratio':>8}")
    worst = 0.0
    raw = connection.connection
    for name, user in people.items():
        owners = len(hierarchy.scope_owner_ids(user))
        # The SQL the list view sends for this user (the same code path, captured once).
        with CaptureQueriesContext(connection) as captured:
            Memo.objects.visible_page(user, size=50)
        scoped_sql = captured.captured_queries[-1]["sql"]
        scoped_times, unscoped_times = [], []
        with raw.cursor() as cursor:
            for _ in range(20):  # warm the caches
                timed(cursor, scoped_sql, None)
                timed(cursor, unscoped_sql, None)
            for _ in range(RUNS):
                scoped_times.append(timed(cursor, scoped_sql, None))
                unscoped_times.append(timed(cursor, unscoped_sql, None))
        scoped_ms = statistics.median(scoped_times)
        unscoped_ms = statistics.median(unscoped_times)
        ratio = scoped_ms / unscoped_ms
        worst = max(worst, ratio)
        print(f"{name:<20}{owners:>12}{scoped_ms:>12.3f}{unscoped_ms:>13.3f}{ratio:>8.2f}")
    print(f"\nworst ratio {worst:.2f} (goal ≤ 1.5)")
    with raw.cursor() as cursor:
        manager = people["manager"]
        with CaptureQueriesContext(connection) as captured:
            Memo.objects.visible_page(manager, size=50)
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
            + captured.captured_queries[-1]["sql"]
        )
        plan = [row[0] for row in cursor.fetchall()]
    # What a reorganisation costs: a team lead (and the reps below) moves to another manager.
    from django.db import transaction

    from crm.models import SupervisorLink

    lead = people["team lead"]
    link = SupervisorLink.objects.filter(user=lead).first()
    other_manager = (
        SupervisorLink.objects.exclude(supervisor=link.supervisor)
        .filter(user__in=SupervisorLink.objects.filter(supervisor=people["head"]).values("user"))
        .values_list("user", flat=True)
        .first()
    )
    moved = Memo.objects.filter(owner_id__in=hierarchy.scope_owner_ids(lead)).count()
    with transaction.atomic():
        started = time.perf_counter()
        SupervisorLink.objects.filter(pk=link.pk).update(supervisor_id=other_manager)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    print(
        f"\nmoving a team lead ({moved:,} records below) to another manager: {seconds:.2f} s"
        " (the visibility index is updated in the same transaction; rolled back)"
    )
    print("\nplan of the manager's page (first lines):")
    for line in plan[:8]:
        print("   ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
