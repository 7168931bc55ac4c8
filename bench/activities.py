"""Benchmark: the activity screens on 5,000,000 activities (issue 6), beside their SQL.

    make bench-activities            # builds the data once (on top of the partners' data set)
    BENCH_SCALE=0.01 make bench-activities           # a hundredth of everything
    BENCH_ACTIVITIES=1000000 make bench-activities   # fewer activities

It uses the partners benchmark's database of the same ``BENCH_SCALE`` (``crm_bench_partners``:
1,000,000 partners at scale 1, their owners and the personas; built first when missing) and
adds ``BENCH_ACTIVITIES`` activities (default 5,000,000 × ``BENCH_SCALE``) with one
INSERT … SELECT: five per partner by default, handled by the
partner's owner in the first company (the director for unassigned partners), calls, meetings,
tasks and e-mails over the last two years and the next two months, most of the past ones
closed. The rows are written with triggers off (``session_replication_role = replica``): the
visibility index and the history are not needed by the measured pages and would only make the
load slow; this database is for measuring only.

Measured, as in ``bench/partners.py`` (gunicorn with 4 workers, 8 ``wrk`` clients, p50/p95 and
requests per second, the page's own SQL through pgbench in the same run):

- a partner's timeline tab (target p95 ≤ 30 ms) for a rep, a manager and a "see all" user;
- the home page, "my day" (target p95 ≤ 50 ms) for a rep;

and the nightly no-next-event check over every owned partner (target under a minute): the
check's SQL timed in this process beside the same statement through ``psql`` (its server-side
time from ``EXPLAIN ANALYZE``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench import partners as bp  # noqa: E402

TARGETS = {"timeline": 30.0, "home": 50.0}
NIGHTLY_TARGET_SECONDS = 60.0

LOAD = """
SET session_replication_role = replica;
INSERT INTO activities_activity (
    company_id, owner_id, created_by_id, created_at, updated_at, version,
    type_id, kind, partner_id, contact_id, subject, task_name_id, starts_at, ends_at,
    deadline, place, description, reminder_minutes, remind_at, reminder_dismissed_at,
    reminder_snoozed_until, reminder_emailed_at, google_event_id, follows_id, outcome,
    result_notes, closed_at, closed_by_id
)
SELECT c.company_id, c.owner_id, c.owner_id, now(), now(), 1,
       t.id, t.kind, c.partner_id, NULL, t.name_hu || ' #' || c.n, NULL, c.at,
       c.at + interval '1 hour',
       CASE WHEN t.kind = 'task' THEN (c.at + interval '3 days')::date END,
       '', '', 15, c.at - interval '15 minutes', NULL, NULL,
       CASE WHEN c.at < now() THEN c.at END, '', NULL,
       CASE WHEN c.at < now() - interval '3 days' THEN
            (ARRAY['successful', 'successful', 'unsuccessful', 'cancelled'])[1 + c.n %% 4]
            ELSE '' END,
       '',
       CASE WHEN c.at < now() - interval '3 days' THEN c.at + interval '2 hours' END,
       CASE WHEN c.at < now() - interval '3 days' THEN c.owner_id END
FROM (
    SELECT p.id AS partner_id, %(company)s AS company_id,
           coalesce(o.user_id, %(director)s) AS owner_id, g.n,
           now() - interval '730 days'
               + ((p.id * 7919 + g.n * 104729) %% 790) * interval '1 day'
               + ((p.id + g.n) %% 10) * interval '1 hour' AS at
    FROM partners_partner p
    LEFT JOIN LATERAL (
        SELECT user_id FROM partners_partnerowner
        WHERE partner_id = p.id AND company_id = %(company)s ORDER BY user_id LIMIT 1
    ) o ON true
    CROSS JOIN generate_series(1, %(per_partner)s) AS g(n)
    WHERE p.id %% %(every)s = 0
) c
JOIN activities_activitytype t
  ON t.code = (ARRAY['call', 'meeting', 'task', 'call', 'email'])[1 + c.n %% 5];
SET session_replication_role = DEFAULT;
"""


OWNED_LONG_AGO = """
SET session_replication_role = replica;
UPDATE partners_partnerowner SET created_at = now() - interval '400 days'
WHERE created_at > now() - interval '400 days';
SET session_replication_role = DEFAULT;
"""


def ensure_activities(wanted: int, company_id: int, director_id: int) -> None:
    """The activities, and owners who have held their partners for longer than the idle
    period (the bench's owner rows are as new as the data set, so the nightly check would
    skip them all)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(OWNED_LONG_AGO)
        cursor.execute("SELECT count(*) FROM activities_activity")
        have = cursor.fetchone()[0]
        if abs(have - wanted) <= wanted * 0.02:
            print(f"activities: {have:,} already there", flush=True)
            return
        cursor.execute("SELECT count(*) FROM partners_partner")
        partners = cursor.fetchone()[0]
        per_partner = max(1, min(5, round(wanted / max(partners, 1))))
        every = max(1, round(partners * per_partner / wanted))
        print(
            f"activities: writing {partners // every * per_partner:,}"
            f" ({per_partner} a partner, every {every}. partner) …",
            flush=True,
        )
        started = time.perf_counter()
        cursor.execute("TRUNCATE activities_activity CASCADE")
        cursor.execute(
            LOAD,
            {
                "company": company_id,
                "director": director_id,
                "per_partner": per_partner,
                "every": every,
            },
        )
        cursor.execute("ANALYZE activities_activity")
        print(f"activities: written in {time.perf_counter() - started:.0f} s", flush=True)


def build_screens(personas: dict[str, int], company_id: int) -> list:
    from django.db import connection

    screens = []
    with connection.cursor() as cursor:
        # The rep's partners with activities: the manager and "see all" users reach them too.
        cursor.execute(
            "SELECT DISTINCT a.partner_id FROM activities_activity a"
            " JOIN partners_partnerowner o ON o.partner_id = a.partner_id"
            " AND o.company_id = a.company_id"
            " WHERE o.user_id = %s ORDER BY a.partner_id LIMIT 20",
            [personas.get("rep")],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for persona in ("rep", "manager", "see all"):
        if persona in personas:
            screens.append(
                bp.Screen(
                    "timeline",
                    "partner timeline",
                    persona,
                    [f"/partners/{pid}/?tab=timeline" for pid in ids],
                )
            )
    if "rep" in personas:
        screens.append(bp.Screen("home", "home page (my day)", "rep", ["/"]))
    return screens


def nightly(company_id: int) -> None:
    """The no-next-event check over every owner row of the company, timed here and, for the
    same statement, by the server (``EXPLAIN ANALYZE`` through psql)."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from activities.discipline import IDLE_OWNERS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(DISTINCT user_id) FROM partners_partnerowner WHERE company_id = %s",
            [company_id],
        )
        users = cursor.fetchone()[0] or []
        cursor.execute(
            "SELECT count(*) FROM partners_partnerowner WHERE company_id = %s", [company_id]
        )
        rows = cursor.fetchone()[0]
    now = timezone.now()
    params = {
        "users": users,
        "now": now,
        "today": timezone.localdate(now),
        "tz": settings.TIME_ZONE,
        "listed_by": timezone.localdate(now) - datetime.timedelta(days=28),
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(IDLE_OWNERS, params)
        idle = len(cursor.fetchall())
    ours = time.perf_counter() - started
    with connection.cursor() as cursor:
        sql = cursor.mogrify(IDLE_OWNERS, params)
    sql = sql.decode() if isinstance(sql, bytes) else sql
    psql = subprocess.run(
        ["psql", bp.BENCH_DATABASE_URL, "-At", "-c", f"EXPLAIN (ANALYZE, TIMING OFF) {sql}"],
        capture_output=True,
        text=True,
        check=False,
    )
    server = next(
        (line for line in psql.stdout.splitlines() if line.startswith("Execution Time")), "?"
    )
    verdict = "ok" if ours <= NIGHTLY_TARGET_SECONDS else "SLOW"
    print(
        f"\nNightly no-next-event check: {rows:,} owner rows of {len(users)} owners,"
        f" {idle:,} idle partners found in {ours:.1f} s (target {NIGHTLY_TARGET_SECONDS:.0f} s:"
        f" {verdict}); the same statement through psql: {server}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument(
        "--activities", type=int, default=env.scaled(5_000_000, override="BENCH_ACTIVITIES")
    )
    parser.add_argument("--scale", type=float, default=env.scale())
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.rebuild, args.sql_only, args.explain = False, False, False
    bp.use_scale(args.scale)  # the partners' data set of the same scale
    environment = bp.settings_env()
    os.environ.update(environment)
    bp.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from bench import partner_data
    from crm.models import Company

    state = bp.prepare(args)
    personas = state["personas"]
    company_id = Company.objects.get(name=partner_data.COMPANIES[0][0]).pk
    ensure_activities(args.activities, company_id, personas["director"])
    bp.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    screens = build_screens(personas, company_id)
    if args.only:
        screens = [s for s in screens if args.only in f"{s.label} / {s.persona}"]
    bp.capture(screens, bp.InProcess(personas))
    bp.TARGETS.update(TARGETS)
    pgbench = bp.pgbench_path()
    results, base, logs = bp.serve_and_measure(environment, screens, personas, args, pgbench)
    if results is None:
        return 1
    bp.report(results, args, base, pgbench)
    bp.report_in_process(screens)
    nightly(company_id)
    print(f"\n(web server log: {logs / 'web.log'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
