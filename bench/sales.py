"""Benchmark: the sales screens (issue 25) on 100,000 open opportunities and 1,000,000
opportunity lines, beside their SQL.

    make bench-sales                                  # builds the data once
    BENCH_SCALE=0.01 make bench-sales                 # a hundredth of everything
    BENCH_SCALE=0.1 BENCH_OPPORTUNITIES=100000 BENCH_LINES=1000000 make bench-sales
                                                      # the full sales data on a tenth of partners

It uses the partners benchmark's database of the same ``BENCH_SCALE`` (``bench/partners.py``:
its partners, owners, hierarchy and personas; built first when missing) and adds, with one
INSERT … SELECT each and triggers off (``session_replication_role = replica``, as
``bench/activities.py`` does: the history is not measured here):

- ``BENCH_OPPORTUNITIES`` open opportunities (default 100,000 × ``BENCH_SCALE``) of the first
  company, owned by their partner's owner (the director for unassigned partners), spread over
  the company's open stages, expected to close from two months ago to a year ahead; and a fifth
  as many closed ones (won and lost in the last year, each with its closing move in the stage
  history, for the win rate and the sales cycle);
- ``BENCH_LINES`` opportunity lines (default 1,000,000 × ``BENCH_SCALE``) over them, on 200
  products, with discounts of 0-15 % and some priced by hand; each opportunity's value is the
  sum of its lines, as ``sales.services`` keeps it.

Measured, each in the same run beside the page's own SQL (the statements the page ran,
captured from a request in this process) sent raw through ``pgbench``:

(a) **the pipeline board** (``sales/board.py``) for a rep, a manager and a "see all" user with
    ``BENCH_CLIENTS`` (8) clients for ``BENCH_SECONDS`` each (gunicorn, as
    ``bench/partners.py``). Target p95 ≤ 100 ms.
(b) **the forecast report** (``sales/reports.py``: the reports page, whose forecast, pipeline,
    win rate, cycle and discounts read the opportunities and their 1M lines) for the next 12
    months, as the manager and the "see all" user, one client at a time (a manager reads a
    report; eight at once on two cores would measure the queue). Targets: p95 ≤ 1 s and ≤ 2 ×
    its SQL's p95.
(c) **a 200-line quote's PDF** through the document generator (the template shipped in
    ``sales/data``), five times beside WeasyPrint alone on the same HTML. Target ≤ 2 s.
(d) **an order made from that quote**: its queries beside those of a 20-line quote's order
    (a constant number), and its time. (c) and (d) run as the rep in one transaction that is
    rolled back, so the data stays as built.

Options as in ``bench/partners.py``: ``BENCH_SCALE``, ``BENCH_SECONDS``, ``BENCH_CLIENTS``,
``BENCH_ONLY`` (text in "screen / persona"; or ``board``, ``report``, ``quote``), ``BENCH_REPEAT``,
``BENCH_WEB_WORKERS``; ``BENCH_OPPORTUNITIES``, ``BENCH_LINES``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench import partners as bp  # noqa: E402

BOARD_TARGET_MS = 100.0
REPORT_TARGET_MS = 1000.0
REPORT_RATIO = 2.0
PRODUCTS = 200
SEE_ALL_USERNAME = "bench.sales.all"
MARK = "Bench "  # the names of the benchmark's opportunities start with it

OPPORTUNITIES = """
SET session_replication_role = replica;
INSERT INTO sales_opportunity (
    company_id, owner_id, created_by_id, created_at, updated_at, version,
    name, partner_id, contact_id, source, source_detail, stage_id, status, probability,
    probability_set, expected_close, currency, competitors, value, description, closed_on,
    lost_reason, close_note
)
SELECT c.company_id, c.owner_id, c.owner_id, c.created, c.created, 1,
       'Bench ' || c.partner_id || '/' || c.n, c.partner_id, NULL, '', '', s.id, s.status,
       s.probability, false,
       CASE WHEN s.status = 'open' THEN current_date - 60 + (c.r * 7919 %% 420)::int END,
       'HUF', '{}', 0, '',
       CASE WHEN s.status <> 'open' THEN current_date - 1 - (c.r * 104729 %% 360)::int END,
       CASE WHEN s.status = 'lost' THEN 'price' ELSE '' END, ''
FROM (
    SELECT p.id AS partner_id, %(company)s AS company_id,
           coalesce(o.user_id, %(director)s) AS owner_id, g.n,
           row_number() OVER () AS r,
           now() - ((p.id + g.n) %% 400) * interval '1 day' AS created
    FROM partners_partner p
    LEFT JOIN LATERAL (
        SELECT user_id FROM partners_partnerowner
        WHERE partner_id = p.id AND company_id = %(company)s ORDER BY user_id LIMIT 1
    ) o ON true
    CROSS JOIN generate_series(1, %(per_partner)s) AS g(n)
    LIMIT %(total)s
) c
JOIN sales_stage s ON s.id = CASE
    WHEN c.r %% 12 = 0 THEN %(won)s
    WHEN c.r %% 6 = 0 THEN %(lost)s
    ELSE (%(open)s::bigint[])[1 + c.r %% %(open_count)s] END;
-- closed ones: created before they closed, their closing move in the stage history
UPDATE sales_opportunity SET created_at = closed_on - (10 + id %% 90) * interval '1 day'
WHERE status <> 'open' AND company_id = %(company)s;
INSERT INTO sales_stagechange (
    opportunity_id, from_stage_id, to_stage_id, changed_by_id, changed_at, automated, note
)
SELECT id, %(first)s, stage_id, owner_id, closed_on + interval '10 hours', '', ''
FROM sales_opportunity WHERE status <> 'open' AND company_id = %(company)s;
SET session_replication_role = DEFAULT;
"""

LINES = """
SET session_replication_role = replica;
INSERT INTO sales_opportunityline (
    opportunity_id, position, product_id, description, quantity, quantity_fulfilled, unit,
    vat_rate, base_price, unit_price, discount_percent, value, price_source, manual,
    manual_reason, manual_by_id
)
SELECT l.opportunity_id, l.n, p.id, '', l.quantity, 0, p.unit, p.vat_rate, p.price_huf,
       round(p.price_huf * (100 - l.discount) / 100, 2), l.discount,
       round(l.quantity * round(p.price_huf * (100 - l.discount) / 100, 2), 0),
       '', l.discount = 15, CASE WHEN l.discount = 15 THEN 'bench' ELSE '' END, NULL
FROM (
    SELECT o.id AS opportunity_id, g.n,
           (%(products)s::bigint[])[1 + (o.id * 31 + g.n) %% %(product_count)s] AS product_id,
           1 + (o.id + g.n * 7) %% 20 AS quantity,
           ((o.id + g.n) %% 4) * 5 AS discount
    FROM sales_opportunity o
    CROSS JOIN LATERAL generate_series(
        1, %(per)s + CASE WHEN o.id %% 1000 < %(extra)s THEN 1 ELSE 0 END
    ) AS g(n)
    WHERE o.company_id = %(company)s
) l
JOIN sales_product p ON p.id = l.product_id;
UPDATE sales_opportunity o SET value = s.total
FROM (SELECT opportunity_id, sum(value) AS total FROM sales_opportunityline GROUP BY 1) s
WHERE s.opportunity_id = o.id;
SET session_replication_role = DEFAULT;
"""


def ensure_products() -> list[int]:
    from decimal import Decimal

    from sales.models import Product

    have = list(
        Product.objects.filter(code__startswith="BENCH-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(have) >= PRODUCTS:
        return have
    Product.objects.bulk_create(
        [
            Product(
                code=f"BENCH-{n:03}",
                name_hu=f"Mérő termék {n}",
                price_huf=Decimal(1000 + n * 137 % 90_000),
            )
            for n in range(len(have), PRODUCTS)
        ]
    )
    return list(
        Product.objects.filter(code__startswith="BENCH-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def ensure_sales(opportunities: int, lines: int, company_id: int, director_id: int) -> None:
    """The open opportunities (a fifth more closed ones) and their lines, unless there."""
    from django.db import connection

    from sales.models import OpportunityStatus
    from sales.pipeline import stages_of

    stages = stages_of(company_id)
    open_ids = [s.pk for s in stages if s.status == OpportunityStatus.OPEN]
    won = next(s.pk for s in stages if s.status == OpportunityStatus.WON)
    lost = next(s.pk for s in stages if s.status == OpportunityStatus.LOST)
    products = ensure_products()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FROM sales_opportunity"
            " WHERE company_id = %s",
            [company_id],
        )
        have_open, have_all = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM sales_opportunityline")
        have_lines = cursor.fetchone()[0]
        if abs(have_open - opportunities) <= opportunities * 0.02 and (
            abs(have_lines - lines) <= lines * 0.02
        ):
            print(
                f"sales: {have_open:,} open opportunities ({have_all:,} in all) and"
                f" {have_lines:,} lines already there",
                flush=True,
            )
            return
        total = opportunities * 6 // 5  # every sixth is closed
        cursor.execute("SELECT count(*) FROM partners_partner")
        partners = cursor.fetchone()[0]
        per_partner = max(1, -(-total // max(partners, 1)))
        print(
            f"sales: writing {opportunities:,} open opportunities, {total - opportunities:,}"
            f" closed ones and about {lines:,} lines …",
            flush=True,
        )
        started = time.perf_counter()
        cursor.execute("TRUNCATE sales_opportunity CASCADE")
        cursor.execute(
            OPPORTUNITIES,
            {
                "company": company_id,
                "director": director_id,
                "per_partner": per_partner,
                "total": total,
                "won": won,
                "lost": lost,
                "open": open_ids,
                "open_count": len(open_ids),
                "first": open_ids[0],
            },
        )
        per, rest = divmod(lines, total)
        cursor.execute(
            LINES,
            {
                "company": company_id,
                "products": products,
                "product_count": len(products),
                "per": per,
                "extra": round(rest * 1000 / total),
            },
        )
        for table in ("sales_opportunity", "sales_opportunityline", "sales_stagechange"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("SELECT count(*) FROM sales_opportunityline")
        print(
            f"sales: {cursor.fetchone()[0]:,} lines written in"
            f" {time.perf_counter() - started:.0f} s",
            flush=True,
        )


def see_all_user(company_id: int) -> int:
    """A sales manager who sees every opportunity of the company (the "see all" persona of
    the sales screens: the partners' back-office persona has no sales function)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission

    from bench import partner_data
    from crm.groups import DEFAULT_GROUPS
    from crm.models import Membership, User

    user, created = User.objects.get_or_create(
        username=SEE_ALL_USERNAME,
        defaults={
            "first_name": "Mindenlátó",
            "last_name": "Értékesítés",
            "password": make_password(partner_data.DEMO_PASSWORD),
            "current_company_id": company_id,
        },
    )
    if created:
        Membership.objects.get_or_create(user=user, company_id=company_id)
        user.groups.add(Group.objects.get(name=DEFAULT_GROUPS["sales_manager"]))
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="sales", codename="view_all_opportunity")
        )
    return user.pk


def report_url() -> str:
    """The reports page for the next 12 months (the preset of that name)."""
    from django.utils import timezone

    from sales.reports import presets

    _key, _label, start, end = next(p for p in presets(timezone.localdate()) if p[0] == "next12")
    return f"/sales/reports/?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}&currency=HUF"


def board_screens(personas: dict) -> list:
    return [
        bp.Screen("board", "pipeline board", persona, ["/sales/"])
        for persona in ("rep", "manager", "see all")
        if persona in personas
    ]


def report_screens(personas: dict) -> list:
    return [
        bp.Screen("report", "forecast report", persona, [report_url()])
        for persona in ("manager", "see all")
        if persona in personas
    ]


def verdicts(results, target: float, ratio_target: float | None) -> None:
    print(f"\n  {'page':<20}{'persona':<10}{'page p95':>9}{'SQL p95':>9}{'ratio':>7}  verdict")
    for shown, _alone, page, sql in results:
        if not (page and page.count and sql and sql.count):
            print(f"  {shown.label:<20}{shown.persona:<10}  {shown.problem or 'not measured'}")
            continue
        ratio = page.p95 / sql.p95 if sql.p95 else float("inf")
        ok = page.p95 <= target and (ratio_target is None or ratio <= ratio_target)
        targets = f"p95 ≤ {target:.0f} ms" + (
            f", ≤ {ratio_target:.0f} × SQL" if ratio_target else ""
        )
        print(
            f"  {shown.label:<20}{shown.persona:<10}{page.p95:9.1f}{sql.p95:9.1f}{ratio:7.1f}"
            f"  {'ok' if ok else 'SLOW'} (target {targets})"
        )


def measure_part(title, screens, args, personas, environment, target, ratio) -> None:
    print(f"\n{title}", flush=True)
    bp.capture(screens, bp.InProcess(personas))
    bp.TARGETS.update({"board": BOARD_TARGET_MS, "report": REPORT_TARGET_MS})
    pgbench = bp.pgbench_path()
    results, base, logs = bp.serve_and_measure(environment, screens, personas, args, pgbench)
    if results is None:
        print("  the web server did not start; see", logs / "web.log")
        return
    bp.report(results, args, base, pgbench)
    bp.report_in_process(screens)
    verdicts(results, target, ratio)
    print(f"  (web server log: {logs / 'web.log'})")


class _RolledBack(Exception):
    """Raised to undo the quote parts' records: the bench database stays as it was built."""


def _quote_of(user, lines: int):
    """A draft quote with ``lines`` lines, made as a rep makes one: an opportunity on one of
    the rep's partners, its lines priced by the services, the quote made from it."""
    from decimal import Decimal

    from partners.models import Partner
    from sales.models import Opportunity, OpportunityLine, Product
    from sales.quotes import quote_from_opportunity
    from sales.services import line_save, opportunity_create

    partner = Partner.objects.visible_to(user).order_by("pk").first()
    opportunity = opportunity_create(
        user=user, opportunity=Opportunity(name=f"Mérő ajánlat {lines} sor", partner=partner)
    )
    products = list(Product.objects.filter(code__startswith="BENCH-").order_by("pk")[:lines])
    for n in range(lines):
        line = OpportunityLine(product=products[n % len(products)], quantity=Decimal(1 + n % 7))
        line_save(user=user, opportunity=opportunity, line=line)
    return quote_from_opportunity(user=user, opportunity=opportunity)


def quote_parts(personas: dict) -> None:
    """(c) A 200-line quote's PDF through the document generator (the template shipped in
    ``sales/data``), timed beside WeasyPrint alone on the same HTML; (d) an order made of it,
    its queries counted beside those of a 20-line quote's order (constant), timed. As the rep,
    in one transaction rolled back at the end."""
    import io
    import logging
    import statistics
    import tempfile

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from crm import templating
    from crm.models import User
    from documents import engines, generator
    from documents.models import DocumentType
    from sales.orders import order_from_quote
    from sales.quotes import quote_set_status

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    user = User.objects.get(pk=personas["rep"])
    template_html = (ROOT / "sales" / "data" / "quote_template.html").read_bytes()
    print("\n(c) A 200-line quote's PDF (target ≤ 2 s) and (d) an order made of it", flush=True)
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="crm-bench-sales-"))
    try:
        with transaction.atomic():
            big, small, warm = _quote_of(user, 200), _quote_of(user, 20), _quote_of(user, 20)
            template = generator.template_create(
                user=user,
                company_id=user.current_company_id,
                name="Árajánlat",
                uploaded=SimpleUploadedFile("arajanlat.html", template_html),
                folder=None,
                output_type=DocumentType.CONTRACT,
            )
            source = generator.source_for(user=user, kind="quote", record=big)
            data, key = generator.template_bytes(template)
            html = engines.render_html(data, templating.context(source), key=key)
            import weasyprint

            weasyprint.HTML(string=html).write_pdf()  # warm: imports, fonts
            drawn, alone = [], []
            for _ in range(5):  # interleaved, so the machine's load falls on both alike
                start = time.perf_counter()
                weasyprint.HTML(string=html).write_pdf()
                alone.append(time.perf_counter() - start)
                start = time.perf_counter()
                pdf = generator.draw(template=template, source=source)
                drawn.append(time.perf_counter() - start)
            pages = len(PdfReader(io.BytesIO(pdf.content)).pages)
            median, worst = statistics.median(drawn), max(drawn)
            print(
                f"  the PDF through the generator: median {median * 1000:.0f} ms, slowest"
                f" {worst * 1000:.0f} ms ({len(pdf.content) // 1024} kB, {pages} pages);"
                f" WeasyPrint alone on its HTML: median {statistics.median(alone) * 1000:.0f} ms"
                f"  → {'ok' if worst <= 2 else 'SLOW'} (target ≤ 2 s)"
            )
            counts, took = {}, {}
            for quote in (warm, small, big):  # the first fills the caches; not counted
                quote_set_status(user=user, quote=quote, status="sent")
                quote_set_status(user=user, quote=quote, status="accepted")
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    order_from_quote(user=user, quote=quote)
                    took[quote.lines.count()] = time.perf_counter() - start
                counts[quote.lines.count()] = len(queries)
            same = counts[20] == counts[200]
            print(
                f"  the order from the 20-line quote: {counts[20]} queries,"
                f" {took[20] * 1000:.0f} ms; from the 200-line quote: {counts[200]} queries,"
                f" {took[200] * 1000:.0f} ms  → {'ok' if same else 'NOT CONSTANT'}"
            )
            raise _RolledBack
    except _RolledBack:
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--scale", type=float, default=env.scale())
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    parser.add_argument(
        "--opportunities", type=int, default=env.scaled(100_000, override="BENCH_OPPORTUNITIES")
    )
    parser.add_argument("--lines", type=int, default=env.scaled(1_000_000, override="BENCH_LINES"))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.rebuild, args.sql_only, args.explain = False, False, False
    bp.use_scale(args.scale)
    environment = bp.settings_env()
    os.environ.update(environment)
    bp.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from bench import partner_data
    from crm.models import Company

    state = bp.prepare(args)
    company_id = Company.objects.get(name=partner_data.COMPANIES[0][0]).pk
    personas = {
        name: pk for name, pk in state["personas"].items() if name in ("rep", "manager", "director")
    }
    personas["see all"] = see_all_user(company_id)
    ensure_sales(args.opportunities, args.lines, company_id, state["personas"]["director"])
    bp.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Sales at scale {args.scale:g}, {datetime.date.today():%Y-%m-%d}", flush=True)  # noqa: DTZ011

    def wanted(screens):
        if args.only in ("board", "report", ""):
            return screens if args.only in ("", screens[0].kind if screens else "") else []
        return [s for s in screens if args.only in f"{s.label} / {s.persona}"]

    boards = wanted(board_screens(personas))
    if boards:
        measure_part(
            f"(a) The pipeline board: {args.clients} clients",
            boards,
            args,
            personas,
            environment,
            BOARD_TARGET_MS,
            None,
        )
    report = wanted(report_screens(personas))
    if report:
        alone = copy.copy(args)
        alone.clients = 1
        measure_part(
            "(b) The forecast report over the lines, next 12 months: one client",
            report,
            alone,
            personas,
            environment,
            REPORT_TARGET_MS,
            REPORT_RATIO,
        )
    if args.only in ("", "quote"):
        quote_parts(personas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
