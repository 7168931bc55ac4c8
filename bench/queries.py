"""Benchmark: the query builder (issue 23) on 1,000,000 partners and 5,000,000 activities,
each figure beside a baseline measured in the same run.

    make bench-queries                     # builds the data once (the partners' and activities')
    BENCH_SCALE=0.05 make bench-queries    # a twentieth of everything (100,000 rows → 5,000)

It uses the partners benchmark's database of the same ``BENCH_SCALE`` and the activities
benchmark's activities in it (``bench/partners.py``, ``bench/activities.py``; built when
missing). Three measurements:

(a) **A screen page of a filtered query across three relations**: activities whose partner is
    in Pest county and has a financial contact (activity → partner → contact → contact type),
    with columns of the partner, newest first, saved as a query of the manager persona. The
    page over HTTP (gunicorn, ``BENCH_CLIENTS`` = 8 clients, ``BENCH_SECONDS`` each, as in
    ``bench/partners.py``), p50/p95, beside the SQL the page ran through pgbench. Two pages:
    the builder's own (``/reports/run/?q=<id>``, once it exists) and the engine alone in the
    page shell (``/bench/query/<id>/``, ``bench/query_urls.py``). Targets: p95 ≤ 150 ms and
    ≤ 3 × the SQL's p95.
(b) **A grouped report over the activities**: count per rep per week for the last quarter,
    as the director (all of the company) — the engine (build, run, user names, shown values)
    beside the statement it ran, sent raw through psycopg, and beside a hand-written
    GROUP BY. Median of ``BENCH_RUNS`` (5) alternated runs. Target: ≤ 2 × the SQL.
(c) **Exports of 100,000 rows × 12 columns** (``BENCH_EXPORT_ROWS``, scaled): the newest
    activities with their partner's columns, as the director. XLSX through
    ``crm.querybuilder.exports`` beside a plain script (a psycopg server-side cursor on the
    same statement, openpyxl write-only, values as they come); CSV beside ``COPY (…) TO
    STDOUT``. Each run in a child process of its own, whose peak memory (``ru_maxrss``) is
    reported. Targets: XLSX ≤ 15 s and ≥ 50 % of the plain script's rows per second, CSV ≥
    50 % of COPY's, peak memory < 300 MB.

Options as in ``bench/partners.py``: ``BENCH_SCALE``, ``BENCH_SECONDS``, ``BENCH_CLIENTS``,
``BENCH_ONLY`` (``screen``, ``grouped``, ``export``: the parts to run), ``BENCH_REPEAT``,
``BENCH_WEB_WORKERS``; ``BENCH_RUNS`` (runs of (b)), ``BENCH_EXPORT_ROWS``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench import partners as bp  # noqa: E402

SCREEN_TARGET_MS = 150.0
SCREEN_RATIO = 3.0
GROUPED_RATIO = 2.0
XLSX_SECONDS = 15.0
SHARE = 0.5
MEMORY_MB = 300.0
EXPORT_COLUMNS = [
    "starts_at",
    "ends_at",
    "kind",
    "type",
    "subject",
    "owner",
    "state",
    "outcome",
    "closed_at",
    "partner.name",
    "partner.city",
    "partner.county",
]


def settings_env() -> dict[str, str]:
    environment = bp.settings_env()
    environment["DJANGO_SETTINGS_MODULE"] = "bench.query_settings"
    return environment


def financial_type_id() -> int:
    from partners.models import ContactType

    found = ContactType.objects.filter(name_hu="Pénzügyi").order_by("pk").first()
    return found.pk if found else ContactType.objects.order_by("pk").first().pk


def screen_spec() -> dict:
    return {
        "base": "activities",
        "columns": [
            "starts_at",
            "kind",
            "subject",
            "owner",
            "partner.name",
            "partner.city",
            "partner.county",
            "partner.status",
        ],
        "filter": {
            "items": [
                {"field": "partner.county", "op": "equals", "value": "PE"},
                {
                    "relation": "partner.contacts",
                    "has": True,
                    "filter": {
                        "items": [{"field": "types", "op": "equals", "value": financial_type_id()}]
                    },
                },
            ]
        },
        "sort": [{"field": "starts_at", "desc": True}],
    }


GROUPED_SPEC = {
    "base": "activities",
    "filter": {"items": [{"field": "starts_at", "op": "relative", "value": "last_quarter"}]},
    "group": {
        "by": [{"field": "owner"}, {"field": "starts_at", "trunc": "week"}],
        "measures": [{"fn": "count"}],
    },
}


def saved_query(owner_id: int, company_id: int, name: str, spec: dict) -> int:
    """The benchmark's saved query ``name`` of ``owner_id`` (made or brought up to date)."""
    from crm.querybuilder.models import SavedQuery

    query, _created = SavedQuery.objects.update_or_create(
        name=name,
        owner_id=owner_id,
        defaults={"spec": spec, "company_id": company_id},
    )
    return query.pk


def sql_of(queryset) -> str:
    """The statement of ``queryset`` with its parameters in it (for psycopg, pgbench, COPY)."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        text = cursor.mogrify(sql, params)
    return text.decode() if isinstance(text, bytes) else text


def user(pk: int):
    from crm.models import User

    return User.objects.get(pk=pk)


# --------------------------------------------------------------------------- (a) the screen


def screen(args, personas: dict, company_id: int, environment: dict) -> None:
    from django.urls import NoReverseMatch, reverse

    spec = screen_spec()
    print("\n(a) A screen page: activities of Pest partners with a financial contact", flush=True)
    screens = []
    for persona in ("manager", "director"):
        if persona not in personas:
            continue
        pk = saved_query(personas[persona], company_id, "bench: Pest, financial contact", spec)
        screens.append(bp.Screen("query", "query page, engine", persona, [f"/bench/query/{pk}/"]))
        try:
            url = reverse("querybuilder:run") + f"?q={pk}"
        except NoReverseMatch:
            url = ""
        if url:
            screens.append(bp.Screen("query", "query page, builder", persona, [url]))
    bp.capture(screens, bp.InProcess(personas))
    bp.TARGETS["query"] = SCREEN_TARGET_MS
    pgbench = bp.pgbench_path()
    results, base, logs = bp.serve_and_measure(environment, screens, personas, args, pgbench)
    if results is None:
        print("  the web server did not start; see", logs / "web.log")
        return
    bp.report(results, args, base, pgbench)
    bp.report_in_process(screens)
    print(f"\n  {'page':<24}{'persona':<10}{'page p95':>9}{'SQL p95':>9}{'ratio':>7}  verdict")
    for shown, _alone, page, sql in results:
        if not (page and page.count and sql and sql.count):
            print(f"  {shown.label:<24}{shown.persona:<10}  {shown.problem or 'not measured'}")
            continue
        ratio = page.p95 / sql.p95 if sql.p95 else float("inf")
        ok = page.p95 <= SCREEN_TARGET_MS and ratio <= SCREEN_RATIO
        print(
            f"  {shown.label:<24}{shown.persona:<10}{page.p95:9.1f}{sql.p95:9.1f}{ratio:7.1f}"
            f"  {'ok' if ok else 'SLOW'} (targets p95 ≤ {SCREEN_TARGET_MS:.0f} ms,"
            f" ≤ {SCREEN_RATIO:.0f} × SQL)"
        )
    print(f"  (web server log: {logs / 'web.log'})")


# --------------------------------------------------------------------------- (b) grouped


def hand_written_grouped(built, company_id: int) -> str:
    """The grouped report as one would write it by hand: the same rows (the engine's filtered
    queryset: scope and period), grouped by owner and week in SQL."""
    inner = sql_of(built.filtered.values("pk"))
    return (
        "SELECT a.owner_id, date_trunc('week', a.starts_at AT TIME ZONE 'Europe/Budapest')::date"
        " AS week, count(*) FROM activities_activity a"
        f" WHERE a.id IN ({inner}) GROUP BY 1, 2 ORDER BY 1, 2"
    )


def grouped(args, personas: dict, company_id: int) -> None:
    from django.db import connection

    from crm.querybuilder.engine import build

    director = user(personas["director"])
    print("\n(b) A grouped report: activities per rep per week, last quarter (director)")

    def engine_run() -> tuple[float, int]:
        started = time.perf_counter()
        built = build(GROUPED_SPEC, user(director.pk))
        rows = list(built.queryset)
        built.prepare(rows)
        shown = [built.display_row(row) for row in rows]
        return (time.perf_counter() - started) * 1000, len(shown)

    built = build(GROUPED_SPEC, director)
    own_sql = sql_of(built.queryset)
    hand_sql = hand_written_grouped(built, company_id)

    def sql_run(sql: str) -> tuple[float, int]:
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql)
            rows = cursor.fetchall()
        return (time.perf_counter() - started) * 1000, len(rows)

    runs = {"engine": [], "its SQL": [], "hand-written SQL": []}
    counts = {}
    engine_run()  # warm: caches, the first read from disk
    for _ in range(args.runs):
        for name, run in (
            ("engine", engine_run),
            ("its SQL", lambda: sql_run(own_sql)),
            ("hand-written SQL", lambda: sql_run(hand_sql)),
        ):
            ms, count = run()
            runs[name].append(ms)
            counts[name] = count
    medians = {name: statistics.median(times) for name, times in runs.items()}
    print(f"  {'':<18}{'median ms':>10}{'groups':>8}   runs")
    for name, times in runs.items():
        print(
            f"  {name:<18}{medians[name]:10.1f}{counts[name]:8}   "
            + ", ".join(f"{t:.0f}" for t in times)
        )
    base = min(medians["its SQL"], medians["hand-written SQL"])
    ratio = medians["engine"] / base if base else float("inf")
    print(
        f"  engine / fastest SQL: {ratio:.2f} × (target ≤ {GROUPED_RATIO:.0f} ×:"
        f" {'ok' if ratio <= GROUPED_RATIO else 'SLOW'})"
    )
    print(f"  its SQL: {bp.short(own_sql, 400)}")


# --------------------------------------------------------------------------- (c) exports


def export_spec(since: datetime.date) -> dict:
    return {
        "base": "activities",
        "columns": EXPORT_COLUMNS,
        "filter": {"items": [{"field": "starts_at", "op": "after", "value": since.isoformat()}]},
        "sort": [{"field": "starts_at", "desc": True}],
    }


def export_since(director, wanted: int) -> datetime.date:
    """The day from which the director's newest activities are about ``wanted``."""
    from activities.models import Activity

    moment = (
        Activity.objects.visible_to(director)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)[wanted : wanted + 1]
        .first()
    )
    from django.utils import timezone

    return timezone.localdate(moment) if moment else datetime.date(2000, 1, 1)


def child_main(argv: list[str]) -> int:
    """One export in this (child) process; prints its figures as JSON on the last line."""
    kind, spec_file, user_id, out = argv
    import django

    django.setup()
    started = time.perf_counter()
    rows = 0
    if kind in ("xlsx", "csv"):
        from crm.querybuilder import exports
        from crm.querybuilder.engine import build

        built = build(json.loads(Path(spec_file).read_text()), user(int(user_id)))
        with open(out, "wb") as output:
            if kind == "xlsx":
                rows = exports.write_xlsx(built, output, title="bench")
            else:
                rows = exports.write_csv(built, output)
    elif kind == "plain-xlsx":
        rows = plain_xlsx(Path(spec_file).read_text(), out)
    elif kind == "copy-csv":
        rows = copy_csv(Path(spec_file).read_text(), out)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak}))
    return 0


def plain_xlsx(sql: str, out: str) -> int:
    """The baseline: the statement from a psycopg server-side cursor, openpyxl write-only,
    values as they come (the zone dropped from datetimes: openpyxl refuses it)."""
    import psycopg
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("plain")
    rows = 0
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor(name="plain") as cursor:
        cursor.itersize = 2000
        cursor.execute(sql)
        header = [d.name for d in cursor.description]
        sheet.append(header)
        for row in cursor:
            sheet.append(
                [
                    v.replace(tzinfo=None)
                    if isinstance(v, datetime.datetime) and v.tzinfo is not None
                    else v
                    for v in row
                ]
            )
            rows += 1
    book.save(out)
    return rows


def copy_csv(sql: str, out: str) -> int:
    """The baseline: ``COPY (statement) TO STDOUT`` as CSV into a file."""
    import psycopg

    with (
        psycopg.connect(os.environ["DATABASE_URL"]) as conn,
        conn.cursor() as cursor,
        open(out, "wb") as output,
    ):
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for data in copy:
                output.write(data)
        return max(0, cursor.rowcount)


def run_child(kind: str, spec_file: str, user_id: int, out: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, spec_file, str(user_id), out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"  {kind} failed:\n{result.stderr[-2000:]}")
        return {}
    return json.loads(result.stdout.strip().splitlines()[-1])


def export(args, personas: dict) -> None:
    from crm.querybuilder import exports
    from crm.querybuilder.engine import build

    director = user(personas["director"])
    since = export_since(director, args.export_rows)
    spec = export_spec(since)
    built = build(spec, director)
    sql = sql_of(exports.result_rows(built))
    print(
        f"\n(c) Exports: activities from {since.isoformat()} (about {args.export_rows:,} rows)"
        f" × {len(EXPORT_COLUMNS)} columns, as the director; each in a child process"
    )
    with tempfile.TemporaryDirectory(prefix="crm-bench-export-") as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        sql_file = Path(tmp) / "statement.sql"
        sql_file.write_text(sql)
        runs = {}
        for kind, source in (
            ("plain-xlsx", sql_file),
            ("xlsx", spec_file),
            ("copy-csv", sql_file),
            ("csv", spec_file),
        ):
            out = str(Path(tmp) / f"{kind}.out")
            runs[kind] = run_child(kind, str(source), director.pk, out)
            if runs[kind]:
                runs[kind]["bytes"] = Path(out).stat().st_size
    print(f"  {'':<34}{'rows':>9}{'s':>8}{'rows/s':>9}{'MB file':>9}{'peak MB':>9}")
    labels = {
        "plain-xlsx": "XLSX, plain psycopg + openpyxl",
        "xlsx": "XLSX, the query builder's export",
        "copy-csv": "CSV, COPY … TO STDOUT",
        "csv": "CSV, the query builder's export",
    }
    for kind, label in labels.items():
        run = runs.get(kind) or {}
        if not run:
            print(f"  {label:<34}  failed")
            continue
        rate = run["rows"] / run["seconds"] if run["seconds"] else 0
        run["rate"] = rate
        print(
            f"  {label:<34}{run['rows']:9,}{run['seconds']:8.2f}{rate:9,.0f}"
            f"{run['bytes'] / 1e6:9.1f}{run['peak_mb']:9.0f}"
        )

    def share(ours: str, base: str) -> float:
        if not runs.get(ours) or not runs.get(base) or not runs[base]["rate"]:
            return 0.0
        return runs[ours]["rate"] / runs[base]["rate"]

    xlsx, csv = runs.get("xlsx") or {}, runs.get("csv") or {}
    if xlsx:
        ok = xlsx["seconds"] <= XLSX_SECONDS * max(1, xlsx["rows"] / 100_000)
        print(
            f"  XLSX: {xlsx['seconds']:.1f} s for {xlsx['rows']:,} rows (target ≤"
            f" {XLSX_SECONDS:.0f} s for 100,000: {'ok' if ok else 'SLOW'}); rows/s"
            f" {share('xlsx', 'plain-xlsx'):.0%} of the plain script's (target ≥ {SHARE:.0%}:"
            f" {'ok' if share('xlsx', 'plain-xlsx') >= SHARE else 'SLOW'})"
        )
    if csv:
        print(
            f"  CSV: rows/s {share('csv', 'copy-csv'):.0%} of COPY's (target ≥ {SHARE:.0%}:"
            f" {'ok' if share('csv', 'copy-csv') >= SHARE else 'SLOW'})"
        )
    peak = max((run.get("peak_mb", 0) for run in (xlsx, csv)), default=0)
    print(
        f"  peak memory of the exports: {peak:.0f} MB (target < {MEMORY_MB:.0f} MB:"
        f" {'ok' if peak < MEMORY_MB else 'TOO MUCH'})"
    )


# --------------------------------------------------------------------------- main


def vacuum_when_new() -> None:
    """VACUUM the activities once after they are loaded, as autovacuum does on a live system
    some time after: the load (triggers off, ``bench/activities.py``) leaves the table's
    visibility map empty, and an index-only scan of a fresh table reads every row it walks
    (the screen page's walk of the newest activities, 6,000 rows for 50 results)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible, relpages FROM pg_class"
            " WHERE oid = 'activities_activity'::regclass"
        )
        visible, pages = cursor.fetchone()
        if pages and visible < 0.9 * pages:
            started = time.perf_counter()
            cursor.execute("VACUUM (ANALYZE) activities_activity")
            print(f"activities: vacuumed in {time.perf_counter() - started:.0f} s", flush=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--scale", type=float, default=env.scale())
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    parser.add_argument(
        "--activities", type=int, default=env.scaled(5_000_000, override="BENCH_ACTIVITIES")
    )
    parser.add_argument(
        "--export-rows", type=int, default=env.scaled(100_000, override="BENCH_EXPORT_ROWS")
    )
    args = parser.parse_args(argv)
    args.rebuild, args.sql_only, args.explain = False, False, False
    bp.use_scale(args.scale)
    environment = settings_env()
    os.environ.update(environment)
    bp.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from bench import activities as ba
    from bench import partner_data
    from crm.models import Company

    state = bp.prepare(args)
    personas = state["personas"]
    company_id = Company.objects.get(name=partner_data.COMPANIES[0][0]).pk
    ba.ensure_activities(args.activities, company_id, personas["director"])
    vacuum_when_new()
    parts = [p for p in ("screen", "grouped", "export") if not args.only or p in args.only]
    print(f"Query builder at scale {args.scale:g}: {', '.join(parts)}", flush=True)
    if "grouped" in parts:
        grouped(args, personas, company_id)
    if "export" in parts:
        export(args, personas)
    if "screen" in parts:
        bp.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        screen(args, personas, company_id, environment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
