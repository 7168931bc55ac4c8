"""Benchmark: the partner import beside a raw ``COPY`` of the same rows into the same table.

    make bench-import                    # 1,000,000 rows
    BENCH_SCALE=0.1 make bench-import    # a tenth (or BENCH_ROWS=100000)

It works in a database of its own (``crm_bench_import``, created and migrated here):

1. generates an N-row partner CSV under ``var/bench/`` (valid, unique tax numbers with their
   check digit, Hungarian company names, towns, postcodes, streets, phones, e-mails; kept and
   reused while N stays the same);
2. the baseline: ``COPY … FROM STDIN`` of the same rows, already clean (the columns the import
   writes), into ``bench_partner``, a scratch copy of ``partners_partner`` with the same
   indexes, checks, foreign keys and triggers (search text, change history), in one
   transaction with the trigger settings defined as the import defines them; measured before
   and after the import, the mean is the reference;
3. the real import of the file (``partners.imports.import_file``, synchronously, not through
   Celery, with ``PARTNERS_IMPORT_WRITERS`` writers) into the empty ``partners_partner``:
   reading, validation, dedupe, staging ``COPY``, set-based insert, owners, change history
   with the importing user as context; then the same file again over the full table (every
   row matches, nothing changes: all skipped);
4. what the triggers cost: the raw ``COPY`` without the history insert trigger, with
   pghistory's context function reduced to reading the context id (no per-row upsert of the
   context row), and in a plain session where the trigger settings are undefined (then every
   row aborts a subtransaction and each abort scans the deferred foreign-key queue: quadratic,
   so only the first ``TRAP_ROWS`` rows).

It prints rows per second of each, the import's ratio to the baseline (goal: 60 % or more),
the Python CPU per row, and the peak resident memory of this process (``getrusage``).
"""

import csv
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import env  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
DB_NAME = env.database_name("crm_bench_import")
os.environ["DATABASE_URL"] = env.database_url("crm_bench_import")
# tests.settings takes its Redis from TEST_REDIS_URL (else database 15, which the tests empty)
os.environ["TEST_REDIS_URL"] = env.redis_url()

ROWS = env.scaled(1_000_000, override="BENCH_ROWS")
VAR = ROOT / "var" / "bench"

from bench.partner_data import FAMILY_NAMES  # noqa: E402 - after the path set-up above

# --------------------------------------------------------------------------- the data set

TOWNS = [
    ("Budapest", "1", "BU"),
    ("Debrecen", "40", "HB"),
    ("Szeged", "67", "CS"),
    ("Miskolc", "35", "BZ"),
    ("Pécs", "76", "BA"),
    ("Győr", "90", "GS"),
    ("Nyíregyháza", "44", "SZ"),
    ("Kecskemét", "60", "BK"),
    ("Székesfehérvár", "80", "FE"),
    ("Szombathely", "97", "VA"),
    ("Szolnok", "50", "JN"),
    ("Érd", "20", "PE"),
    ("Tatabánya", "28", "KE"),
    ("Kaposvár", "74", "SO"),
    ("Sopron", "94", "GS"),
    ("Veszprém", "82", "VE"),
    ("Békéscsaba", "56", "BE"),
    ("Zalaegerszeg", "89", "ZA"),
    ("Eger", "33", "HE"),
    ("Nagykanizsa", "88", "ZA"),
    ("Dunaújváros", "24", "FE"),
    ("Hódmezővásárhely", "68", "CS"),
    ("Salgótarján", "31", "NO"),
    ("Szekszárd", "71", "TO"),
    ("Gödöllő", "21", "PE"),
    ("Vác", "26", "PE"),
    ("Baja", "65", "BK"),
    ("Esztergom", "25", "KE"),
    ("Mosonmagyaróvár", "92", "GS"),
    ("Ózd", "36", "BZ"),
]
FAMILY = FAMILY_NAMES  # the partner bench's family names (bench/partner_data.py)
WORDS = [
    "Alföldi",
    "Dunántúli",
    "Tiszai",
    "Mátra",
    "Bakony",
    "Pannon",
    "Hungária",
    "Kárpát",
    "Duna",
    "Balaton",
    "Zöld",
    "Arany",
    "Első",
    "Magyar",
    "Észak",
    "Dél",
    "Nyugat",
    "Kelet",
    "Bükk",
    "Zemplén",
]
TRADES = [
    "Gépgyártó",
    "Építőipari",
    "Kereskedelmi",
    "Szállítmányozási",
    "Informatikai",
    "Élelmiszeripari",
    "Faipari",
    "Fémfeldolgozó",
    "Műanyagipari",
    "Tanácsadó",
    "Mezőgazdasági",
    "Villamossági",
    "Nyomdaipari",
    "Vegyipari",
    "Logisztikai",
]
FORMS = ["Kft.", "Kft.", "Kft.", "Zrt.", "Bt.", "Nyrt.", "Kkt."]
STREETS = [
    "Fő",
    "Petőfi Sándor",
    "Kossuth Lajos",
    "Rákóczi",
    "Ady Endre",
    "József Attila",
    "Béke",
    "Széchenyi István",
    "Dózsa György",
    "Arany János",
    "Bem József",
    "Váci",
]
KINDS = ["utca", "utca", "út", "tér", "körút"]
TAX_WEIGHTS = (9, 7, 3, 1, 9, 7, 3)
TAX_COUNTIES = [f"{n:02d}" for n in range(2, 21)] + ["22", "41", "42", "43", "44", "51"]
HEADERS = [
    "Név",
    "Adószám",
    "Irányítószám",
    "Város",
    "Cím",
    "Megye",
    "Telefon",
    "E-mail",
    "Honlap",
    "Létszám",
]


def tax_number(core7: int, rng: random.Random) -> str:
    digits = f"{core7:07d}"
    check = (10 - sum(int(d) * w for d, w in zip(digits, TAX_WEIGHTS, strict=True)) % 10) % 10
    return f"{digits}{check}-{rng.choice('1222223')}-{rng.choice(TAX_COUNTIES)}"


def generate(path: Path, rows: int) -> None:
    """The CSV a Hungarian Excel user would save: ``;``-separated UTF-8 with BOM."""
    rng = random.Random(20261122)
    # Unique tax numbers: distinct seven-digit cores in random order.
    cores = rng.sample(range(1_000_000, 9_999_999), rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for i, core in enumerate(cores):
            town, prefix, county = rng.choice(TOWNS)
            if prefix == "1":
                postcode = f"1{rng.randint(1, 23):02d}{rng.randint(1, 9)}"
            else:
                postcode = (
                    prefix + f"{rng.randint(0, 10 ** (4 - len(prefix)) - 1):0{4 - len(prefix)}d}"
                )
            first = rng.choice(FAMILY + WORDS)
            name = f"{first} {rng.choice(TRADES)} {rng.choice(FORMS)}"
            if i % 7 == 0:
                name = f"{first} és {rng.choice(FAMILY)} {rng.choice(FORMS)}"
            slug = f"ceg{i}"
            writer.writerow(
                [
                    name,
                    tax_number(core, rng),
                    postcode,
                    town,
                    f"{rng.choice(STREETS)} {rng.choice(KINDS)} {rng.randint(1, 180)}.",
                    county,
                    f"+36 {rng.randint(20, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                    f"info@{slug}.hu",
                    f"https://www.{slug}.hu" if i % 3 else "",
                    str(rng.randint(1, 500)) if i % 2 else "",
                ]
            )
    tmp.replace(path)


# --------------------------------------------------------------------------- measuring


def ensure_database() -> None:
    env.ensure_database(DB_NAME)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scratch_table(cursor) -> None:
    """``bench_partner``: ``partners_partner``'s columns, indexes, checks, foreign keys and
    triggers, empty."""
    cursor.execute("DROP TABLE IF EXISTS bench_partner")
    cursor.execute("CREATE TABLE bench_partner (LIKE partners_partner INCLUDING ALL)")
    cursor.execute(
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t"
        " WHERE t.tgrelid = 'partners_partner'::regclass AND NOT t.tgisinternal"
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(definition.replace(" ON public.partners_partner ", " ON bench_partner "))
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " WHERE c.conrelid = 'partners_partner'::regclass AND c.contype = 'f'"
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f'ALTER TABLE bench_partner ADD CONSTRAINT "b_{name}" {definition}')


COPY_COLUMNS = (
    "name, short_name, tax_number, eu_vat_number, registration_number, postcode, city, street,"
    " county, country, phones, emails, website, headcount, notes, attributes, search_text,"
    " created_at, updated_at, created_by_id, version"
)


def clean_rows(path: Path, user_id: int):
    """The rows as the import would write them (already valid), for the raw COPY."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for name, tax, postcode, city, street, county, phone, email, web, heads in reader:
            yield (
                name,
                "",
                tax,
                "",
                "",
                postcode,
                city,
                street,
                county,
                "HU",
                f'{{"{phone}"}}',  # array literals, as the import sends them
                f'{{"{email}"}}',
                web,
                int(heads) if heads else None,
                "",
                "{}",
                "",
                "now",
                "now",
                user_id,
                1,
            )


def raw_copy(
    connection,
    path: Path,
    user_id: int,
    *,
    guards: bool,
    history: bool = True,
    limit: int | None = None,
    bare_context: bool = False,
) -> tuple[float, int]:
    """Seconds and rows of a COPY of the clean rows into ``bench_partner``, in one
    transaction. ``guards``: the trigger settings defined first, as the import does (see
    ``partners.imports._ImportBase._quiet_trigger_guards``); without them every row aborts a
    subtransaction in the triggers, which grows quadratic."""
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute("TRUNCATE bench_partner")
        cursor.execute("CHECKPOINT")  # each measurement starts with no dirty pages to write
        cursor.execute(
            "ALTER TABLE bench_partner "
            + ("ENABLE" if history else "DISABLE")
            + " TRIGGER pgtrigger_insert_insert_71860"
        )
    if bare_context:
        # What pghistory's context handling costs: its function replaced (in this benchmark
        # database, for this measurement) by one that only reads the context id, instead of
        # upserting the context row for every row written.
        with raw.cursor() as cursor:
            cursor.execute(BARE_CONTEXT)
    rows = 0
    started = time.perf_counter()
    with raw.transaction(), raw.cursor() as cursor:
        if guards:
            cursor.execute(
                "SELECT set_config('pgtrigger.ignore', '{}', true),"
                " set_config('pghistory.context_id', gen_random_uuid()::text, true),"
                " set_config('pghistory.context_metadata', %s, true)",
                [f'{{"user": {user_id}}}'],
            )
        with cursor.copy(f"COPY bench_partner ({COPY_COLUMNS}) FROM STDIN") as copy:
            for row in clean_rows(path, user_id):
                copy.write_row(row)
                rows += 1
                if limit and rows >= limit:
                    break
    seconds = time.perf_counter() - started
    if bare_context:
        restore_context_function()
    with raw.cursor() as cursor:
        cursor.execute("ALTER TABLE bench_partner ENABLE TRIGGER ALL")
    return seconds, rows


TRAP_ROWS = 20_000
BARE_CONTEXT = """
    CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS uuid AS $$
    BEGIN
        RETURN NULLIF(current_setting('pghistory.context_id', true), '')::uuid;
    END;
    $$ LANGUAGE plpgsql;
"""


def restore_context_function() -> None:
    from pghistory.models import Context

    Context.install_pgh_attach_context_func()


def main() -> int:
    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from crm.groups import DEFAULT_GROUPS
    from crm.models import Company, Membership
    from partners import imports
    from partners.models import ImportJob, ImportKind, ImportState

    call_command("migrate", verbosity=0)
    restore_context_function()  # in case an interrupted run left it replaced
    path = VAR / f"partners-{ROWS}.csv"
    if not path.exists():
        print(f"generating {path.relative_to(ROOT)} ({ROWS:,} rows) …", flush=True)
        started = time.perf_counter()
        generate(path, ROWS)
        print(f"  in {time.perf_counter() - started:.1f} s", flush=True)
    size_mb = path.stat().st_size / 1e6

    company, _ = Company.objects.get_or_create(
        tax_number="10773381-2-44", defaults={"name": "Első Kft."}
    )
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="bench.importer", defaults={"last_name": "Bench", "current_company": company}
    )
    if created:
        Membership.objects.create(user=user, company=company)
        user.groups.add(Group.objects.get(name=DEFAULT_GROUPS["sales_manager"]))

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE partners_partner, partners_partnerevent, partners_partnerownerevent,"
            " partners_importjob, pghistory_context, crm_visibility RESTART IDENTITY CASCADE"
        )
        scratch_table(cursor)

    print(
        f"\nPostgreSQL, {ROWS:,} partner rows, {size_mb:.0f} MB CSV;"
        " each target table empty at the start\n",
        flush=True,
    )
    width = 64

    def line(label: str, seconds: float, rows: int, extra: str = "") -> None:
        print(f"{label:<{width}}{seconds:8.1f} s {rows / seconds:>9,.0f} rows/s{extra}", flush=True)

    baselines: list[float] = []
    imported: list[tuple[str, float]] = []

    def baseline(label: str) -> None:
        seconds, rows = raw_copy(connection, path, user.pk, guards=True)
        baselines.append(rows / seconds)
        line(label, seconds, rows)

    def run(label: str) -> None:
        job = ImportJob.objects.create(
            kind=ImportKind.PARTNERS,
            state=ImportState.RUNNING,
            company=company,
            created_by=user,
            original_name=path.name,
            headers=HEADERS,
            mapping=imports.suggest_mapping(ImportKind.PARTNERS, HEADERS, user=user)[0],
            key="tax_number",
        )
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        started, cpu = time.perf_counter(), time.process_time()
        imports.import_file(job, path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        job.refresh_from_db()
        line(label, seconds, ROWS, f"  (Python: {cpu / ROWS * 1e6:.0f} µs CPU a row)")
        imported.append((label, ROWS / seconds))
        print(
            f"  created {job.created_count:,}, updated {job.updated_count:,},"
            f" skipped {job.skipped_count:,}, failed {job.failed_count:,}; {job.state}"
            f"{': ' + job.error if job.error else ''}",
            flush=True,
        )

    # Baselines before and after the import (the machine may be busier at one time).
    baseline("raw COPY into a copy of partners_partner (baseline)")
    run(f"import into the empty partners_partner (writers: {settings.PARTNERS_IMPORT_WRITERS})")
    baseline("raw COPY into a copy of partners_partner (baseline again)")
    run("the same file again (every row matches, nothing changes)")
    seconds, rows = raw_copy(connection, path, user.pk, guards=True, history=False)
    line("raw COPY without the change-history insert trigger", seconds, rows)
    seconds, rows = raw_copy(connection, path, user.pk, guards=True, bare_context=True)
    line("raw COPY, history kept, no per-row upsert of its context row", seconds, rows)
    seconds, rows = raw_copy(connection, path, user.pk, guards=False, limit=TRAP_ROWS)
    line(
        f"raw COPY, trigger settings undefined (first {rows // 1000}k rows only)",
        seconds,
        rows,
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_partner")
    reference = sum(baselines) / len(baselines)
    print(f"\nbaseline (mean of the two raw COPYs): {reference:,.0f} rows/s")
    for label, rate in imported:
        print(f"  {label.split(' (')[0]}: {rate / reference:.0%} of it (goal: 60 % or more)")
    print(f"\npeak resident memory of this process: {peak_rss_mb():.0f} MB (goal < 500 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
