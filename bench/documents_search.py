"""Benchmark: the document store's full-text search and text extraction (issue 24), each figure
beside a baseline measured in the same run.

    .venv/bin/python scripts/stack.py bench bench/documents_search.py
    BENCH_SCALE=0.01 .venv/bin/python scripts/stack.py bench bench/documents_search.py

(a) **Search over 200,000 documents** (``BENCH_DOCUMENTS``; 2 GB of extracted text, about
    10,000 characters each: synthetic Hungarian paragraphs made from a word list with Hungarian
    endings, in a database of its own, ``crm_bench_documents`` (``_s0_01`` … at other scales),
    loaded with COPY and built once). The search page ``/documents/search/?q=…`` over HTTP
    (gunicorn, ``BENCH_CLIENTS`` = 8 clients, ``BENCH_SECONDS`` each, the harness of
    ``bench/partners.py``), cycling through words of every frequency band, as a rep (their own
    documents and the folders granted to reps) and as the director (all of the company), beside
    the same SQL statements the page ran, through pgbench. Targets: p95 ≤ 100 ms and ≤ 2 × the
    SQL's p95.
(b) **Extraction throughput**: ``BENCH_FILES`` (200 × scale, at least 10) one-page PDFs (made by
    WeasyPrint) and as many DOCX files (python-docx), stored as documents; each read once by the
    service the Celery task runs (``documents.texts.text_extract``: storage, reader, the text row
    and its vector), in this one process (one worker), beside the reading library called
    directly on the same bytes (pypdf, python-docx). Documents per second.

Options: ``BENCH_SCALE``, ``BENCH_SECONDS``, ``BENCH_CLIENTS``, ``BENCH_ONLY`` (``search``,
``extract``), ``BENCH_REPEAT``, ``BENCH_WEB_WORKERS``, ``BENCH_REBUILD``, ``BENCH_DOCUMENTS``,
``BENCH_FILES``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench import partners as bp  # noqa: E402

TARGET_MS = 100.0
SESSION_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"
RATIO = 2.0
CHARS_PER_DOCUMENT = 10_000  # 200,000 × 10,000 = 2 GB
PARAGRAPHS = 20_000  # each in about 140 of the 200,000 documents
REPS = 20
FOLDERS = 24
SEED = 24

# Stems of Hungarian business and contract language, with a vowel class for the endings.
_STEM_TEXT = """
szerződés megállapodás teljesítés szállítás szállító megrendelő vevő eladó ajánlat árajánlat
számla díj összeg határidő kötbér garancia jótállás szavatosság felmondás módosítás melléklet
termék szolgáltatás munka munkavégzés átadás átvétel jegyzőkönyv helyszín raktár anyag alkatrész
gép berendezés karbantartás javítás hiba kár felelősség biztosítás kockázat fizetés átutalás
bankszámla késedelem kamat előleg részlet ütemezés ütem ár egységár kedvezmény engedmény mennyiség
minőség szabvány tanúsítvány vizsgálat ellenőrzés minta csomagolás fuvar fuvarozás szállítmány
vám adó áfa nyilvántartás adat adatkezelés titoktartás üzleti titok szerzői jog licenc szoftver
rendszer telepítés oktatás támogatás ügyfélszolgálat panasz reklamáció vita bíróság
választottbíróság
jogvita képviselő kapcsolattartó igazgató ügyvezető aláírás pecsét hatály időtartam megszűnés
lejárat meghosszabbítás opció keret keretszerződés megrendelés visszaigazolás teljesítésigazolás
építés építkezés kivitelezés tervezés terv engedély hatóság önkormányzat pályázat támogatási
beruházás fejlesztés projekt mérföldkő ütemterv erőforrás költség költségvetés bevétel kiadás
nyereség veszteség mérleg beszámoló könyvelés könyvvizsgáló leltár készlet beszerzés beszállító
alvállalkozó partner ügyfél piac verseny marketing kampány rendezvény kiállítás vásár katalógus
árlista prospektus bemutató tárgyalás értekezlet emlékeztető feljegyzés levél értesítés felszólítás
fizetési felszólítás behajtás követelés tartozás hitel kölcsön lízing bérlet bérleti ingatlan iroda
telephely üzem gyár csarnok műhely logisztika útvonal jármű tehergépkocsi sofőr raklap konténer
energia villamos áram gáz víz fűtés hűtés szellőzés világítás biztonság tűzvédelem munkavédelem
környezetvédelem hulladék újrahasznosítás minőségirányítás tanúsítás audit kockázatelemzés
"""
STEMS = list(dict.fromkeys(_STEM_TEXT.split()))
FRONT = set("eéiíöőüű")
ENDINGS_BACK = [
    "",
    "",
    "",
    "ban",
    "ból",
    "ra",
    "ról",
    "nak",
    "val",
    "hoz",
    "ot",
    "ok",
    "at",
    "ként",
]
ENDINGS_FRONT = [
    "",
    "",
    "",
    "ben",
    "ből",
    "re",
    "ről",
    "nek",
    "vel",
    "hez",
    "et",
    "ek",
    "öt",
    "ként",
]
_LINK_TEXT = "a az és vagy hogy nem is de mint ha akkor szerint alapján esetén között után előtt"
LINKS = _LINK_TEXT.split()


def database_for(scale: float) -> str:
    if scale == 1.0:
        return env.database_name("crm_bench_documents")
    return env.database_name("crm_bench_documents_s" + f"{scale:g}".replace(".", "_"))


def use_database(scale: float) -> None:
    """Points the partners' harness (settings, pgbench, psycopg clients) at this database."""
    bp.DATABASE = database_for(scale)
    bp.BENCH_DATABASE_URL = env.base_database_url().rsplit("/", 1)[0] + "/" + bp.DATABASE


# --------------------------------------------------------------------------- the data set


def lemmas() -> list[str]:
    """The dictionary, most frequent first: the stems, then every two-stem compound (Hungarian
    writes them as one word: ``szerződésmódosítás``) in a fixed shuffled order."""
    rng = random.Random(SEED)
    compounds = [a + b for a in STEMS for b in STEMS if a != b]
    rng.shuffle(compounds)
    return STEMS + compounds


def _endings(lemma: str) -> list[str]:
    vowels = [c for c in lemma if c in "aáeéiíoóöőuúüű"]
    return ENDINGS_FRONT if vowels and vowels[-1] in FRONT else ENDINGS_BACK


def paragraphs(rng: random.Random, count: int) -> list[str]:
    """``count`` paragraphs of 4-8 sentences: lemmas drawn by Zipf's law (the n-th is 1/n as
    frequent as the first), each with a Hungarian ending, and linking words between them."""
    import itertools

    dictionary = lemmas()
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(dictionary))))
    made = []
    for _ in range(count):
        sentences = []
        for _sentence in range(rng.randint(4, 8)):
            chosen = [
                lemma + rng.choice(_endings(lemma))
                for lemma in rng.choices(dictionary, cum_weights=cumulative, k=rng.randint(8, 16))
            ]
            for at in range(1, len(chosen), 3):
                chosen.insert(at, rng.choice(LINKS))
            sentence = " ".join(chosen)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        made.append(" ".join(sentences))
    return made


def search_words() -> list[str]:
    """What the clients type: lemmas of every frequency band (the 20th to the 35,000th most
    frequent) in another form (an ending) and without accents, and two-word searches."""
    dictionary = lemmas()
    picked = [
        dictionary[rank] + _endings(dictionary[rank])[5 + rank % 8]
        for rank in (20, 150, 1000, 3000, 8000, 15000, 25000, 35000)
        if rank < len(dictionary)
    ]
    typed = [_plain(word) for word in picked]
    typed += [f"{_plain(STEMS[i])} {_plain(dictionary[5000 + i])}" for i in (5, 60, 120)]
    return typed


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def ensure_data(count: int, rebuild: bool) -> dict:
    """Company, personas, folders and ``count`` documents with their text (built once)."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from bench import partner_data
    from crm.groups import DEFAULT_GROUPS
    from crm.models import Company, Membership, SupervisorLink, User
    from documents.models import Document, Folder, FolderGrant, Level

    call_command("migrate", verbosity=0)
    have = Document.objects.count()
    company = Company.objects.filter(name="Bench Dokumentum Kft.").first()
    if company and have == count and not rebuild:
        print(f"documents: {have:,} already there", flush=True)
        return personas()
    print(f"building {count:,} documents …", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE documents_documenttext, documents_documentversion, documents_documentlink,"
            " documents_document, documents_foldergrant, documents_folder CASCADE"
        )
    company = company or Company.objects.create(
        name="Bench Dokumentum Kft.", tax_number="10773381-2-44"
    )
    groups = {key: Group.objects.get(name=name) for key, name in DEFAULT_GROUPS.items()}

    def user(username, group, supervisor=None):
        found = User.objects.filter(username=username).first()
        if found:
            return found
        made = User.objects.create_user(
            username=username, password=partner_data.DEMO_PASSWORD, first_name=username
        )
        Membership.objects.create(user=made, company=company)
        made.groups.add(groups[group])
        made.current_company = company
        made.save(update_fields=["current_company"])
        if supervisor:
            SupervisorLink.objects.create(user=made, supervisor=supervisor)
        return made

    director = user("bench.docs.director", "sales_manager")
    reps = [user(f"bench.docs.rep{n}", "sales_rep", director) for n in range(REPS)]
    folders = [Folder.objects.create(company=company, name=f"Mappa {n:02}") for n in range(FOLDERS)]
    for folder in folders[:3]:  # the reps read three folders
        FolderGrant.objects.create(folder=folder, group=groups["sales_rep"], level=Level.READ)
    load(count, company.pk, [r.pk for r in reps], [f.pk for f in folders])
    with connection.cursor() as cursor:
        # As autovacuum leaves a table some time after a load: statistics, the visibility map
        # and the GIN index's pending list merged (each search reads that list whole).
        cursor.execute("VACUUM ANALYZE")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return personas()


def personas() -> dict[str, int]:
    from crm.models import User

    return {
        "rep": User.objects.get(username="bench.docs.rep0").pk,
        "director": User.objects.get(username="bench.docs.director").pk,
    }


def load(count: int, company_id: int, reps: list[int], folders: list[int]) -> None:
    """Documents and versions by COPY (their triggers off: no history rows, no empty text
    rows), then the texts by COPY in two connections at once (the trigger computes each
    vector: PostgreSQL's own parsing and stemming is the long part)."""
    from django.db import connection

    rng = random.Random(SEED)
    pool = paragraphs(rng, max(50, min(PARAGRAPHS, count)))
    types = ["contract", "offer", "price_list", "letter", "invoice", "other"]
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT coalesce(max(id), 0) FROM documents_document")
        with cursor.copy(
            "COPY documents_document (id, created_at, updated_at, version, title, type,"
            " description, tags, company_id, owner_id, folder_id, current_version_id)"
            " FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                folder = folders[n % len(folders)] if n % 3 else None
                title = " ".join(rng.choice(STEMS) for _ in range(3)).capitalize()
                day = f"2026-{1 + n % 12:02}-{1 + n % 28:02} 10:00:00+01"
                copy.write_row(
                    (
                        n,
                        day,
                        day,
                        1,
                        f"{title} {n}",
                        types[n % len(types)],
                        "",
                        "[]",
                        company_id,
                        reps[n % len(reps)],
                        folder,
                        n,
                    )
                )
        with cursor.copy(
            "COPY documents_documentversion (id, number, file, original_name, size, sha256, mime,"
            " uploaded_at, text_state, text_error, document_id) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                day = f"2026-{1 + n % 12:02}-{1 + n % 28:02} 10:00:00+01"
                copy.write_row(
                    (
                        n,
                        1,
                        f"bench/{n}.pdf",
                        f"dokumentum-{n}.pdf",
                        50_000,
                        f"{n:064x}",
                        "application/pdf",
                        day,
                        "done",
                        "",
                        n,
                    )
                )
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("documents_document", "documents_documentversion"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {count + 1})")
    per_document = max(1, CHARS_PER_DOCUMENT // (sum(len(p) for p in pool) // len(pool)))
    halves = [range(1, count + 1, 2), range(2, count + 1, 2)]
    errors = []

    def copy_texts(ids, seed):
        import psycopg

        local = random.Random(seed)
        try:
            with (
                psycopg.connect(bp.BENCH_DATABASE_URL) as conn,
                conn.cursor() as cur,
                cur.copy(
                    "COPY documents_documenttext (document_id, version_id, body, updated_at)"
                    " FROM STDIN"
                ) as copy,
            ):
                for n in ids:
                    body = "\n".join(local.choices(pool, k=per_document))
                    copy.write_row((n, n, body, "2026-01-01 10:00:00+01"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=copy_texts, args=(ids, i)) for i, ids in enumerate(halves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(sum(length(body))::bigint) FROM documents_documenttext"
        )
        print(f"  extracted text in total: {cursor.fetchone()[0]}", flush=True)


# --------------------------------------------------------------------------- (a) search


def measure_search(args, people: dict, environment: dict) -> None:
    from urllib.parse import urlencode

    typed = search_words()
    urls = ["/documents/search/?" + urlencode({"q": q}) for q in typed]
    print(f"\n(a) Search page, {len(urls)} searches: {', '.join(typed)}", flush=True)
    screens = [
        bp.Screen("docsearch", "document search", persona, urls) for persona in ("rep", "director")
    ]
    # The floor under every signed-in page (no target): what any page costs on this machine now.
    screens += [bp.Screen("floor", label, "rep", [url]) for label, url in bp.FLOOR_SCREENS]
    bp.TARGETS["docsearch"] = TARGET_MS
    bp.capture(screens, bp.InProcess(people))
    for screen in screens:
        if screen.captured and not any(screen.captured):
            # The floor pages run no SQL: their baseline is pgbench's own round trip.
            screen.captured = [["SELECT 1"]]
    pgbench = bp.pgbench_path()
    # pgbench's sessions with the web server's connection settings (crm/settings.py): no JIT
    # compilation, no parallel workers, as the page's own statements run.
    os.environ["PGOPTIONS"] = SESSION_OPTIONS
    results, base, logs = bp.serve_and_measure(environment, screens, people, args, pgbench)
    if results is None:
        print("  the web server did not start; see", logs / "web.log")
        return
    bp.report(results, args, base, pgbench)
    bp.report_in_process(screens)
    print(f"\n  {'page':<20}{'persona':<10}{'page p95':>9}{'SQL p95':>9}{'ratio':>7}  verdict")
    for shown, _alone, page, sql in results:
        if shown.kind != "docsearch":
            continue
        if not (page and page.count and sql and sql.count):
            print(f"  {shown.label:<20}{shown.persona:<10}  {shown.problem or 'not measured'}")
            continue
        ratio = page.p95 / sql.p95 if sql.p95 else float("inf")
        ok = page.p95 <= TARGET_MS and ratio <= RATIO
        print(
            f"  {shown.label:<20}{shown.persona:<10}{page.p95:9.1f}{sql.p95:9.1f}{ratio:7.1f}"
            f"  {'ok' if ok else 'SLOW'} (targets p95 ≤ {TARGET_MS:.0f} ms, ≤ {RATIO:.0f} × SQL)"
        )
    print(f"  (web server log: {logs / 'web.log'})")


# --------------------------------------------------------------------------- (b) extraction


def sample_files(count: int) -> tuple[list[bytes], list[bytes]]:
    """``count`` one-page PDFs (WeasyPrint) and DOCX files (python-docx) of Hungarian text."""
    import docx
    from weasyprint import HTML

    rng = random.Random(SEED + 1)
    pool = paragraphs(rng, 40)
    pdfs, docxs = [], []
    for n in range(count):
        text = " ".join(rng.choices(pool, k=3))[:2500]
        pdfs.append(HTML(string=f"<h1>Szerződés {n}</h1><p>{text}</p>").write_pdf())
        document = docx.Document()
        document.add_heading(f"Ajánlat {n}", level=1)
        document.add_paragraph(text)
        out = io.BytesIO()
        document.save(out)
        docxs.append(out.getvalue())
    return pdfs, docxs


def library_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def library_docx(data: bytes) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def forget(ids: list[int]) -> None:
    """The measured documents deleted again (in SQL: the data set stays as built)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in (
            "UPDATE documents_document SET current_version_id = NULL WHERE id = ANY(%s)",
            "DELETE FROM documents_documenttext WHERE document_id = ANY(%s)",
            "DELETE FROM documents_documentversion WHERE document_id = ANY(%s)",
            "DELETE FROM documents_documentevent WHERE document_id = ANY(%s)",
            "DELETE FROM documents_document WHERE id = ANY(%s)",
        ):
            cursor.execute(statement, [ids])


def measure_extraction(args, people: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models.signals import post_save
    from django.test.utils import override_settings

    from crm.models import User
    from documents import extraction, services, texts, uploads
    from documents.models import DocumentVersion

    print(
        f"\n(b) Text extraction: {args.files} one-page PDFs and {args.files} DOCX files", flush=True
    )
    started = time.perf_counter()
    pdfs, docxs = sample_files(args.files)
    print(f"  files made in {time.perf_counter() - started:.1f} s", flush=True)
    owner = User.objects.get(pk=people["rep"])
    rows, made = [], []
    # The upload's own queueing is left out: each version is read once, below, by the service.
    post_save.disconnect(sender=DocumentVersion, dispatch_uid="documents.texts")
    with (
        tempfile.TemporaryDirectory(prefix="crm-bench-docs-") as media,
        override_settings(MEDIA_ROOT=media),
    ):
        for kind, files, library, suffix in (
            ("PDF", pdfs, library_pdf, "pdf"),
            ("DOCX", docxs, library_docx, "docx"),
        ):
            versions = []
            for n, data in enumerate(files):
                document = services.document_create(
                    user=owner, company_id=owner.current_company_id, title=f"Mérés {kind} {n}"
                )
                version, _same = services.version_add(
                    document=document,
                    uploaded=SimpleUploadedFile(f"f{n}.{suffix}", data),
                    user=owner,
                )
                versions.append(version.pk)
                made.append(document.pk)
            DocumentVersion.objects.filter(pk__in=versions).update(text_state="pending")
            library(files[0])  # warm: the readers' imports and caches, for both
            extraction.extract(io.BytesIO(files[0]), uploads.PDF if kind == "PDF" else uploads.DOCX)
            clock = time.perf_counter()
            for data in files:
                library(data)
            library_s = time.perf_counter() - clock
            clock = time.perf_counter()
            states = [texts.text_extract(version_id=pk) for pk in versions]
            service_s = time.perf_counter() - clock
            done = sum(1 for s in states if s == "done")
            rows.append((kind, len(files), library_s, service_s, done))
        forget(made)
    print(f"  {'':<6}{'files':>6}{'library docs/s':>16}{'service docs/s':>16}{'share':>8}  read")
    for kind, count, library_s, service_s, done in rows:
        lib_rate, rate = count / library_s, count / service_s
        print(
            f"  {kind:<6}{count:6}{lib_rate:16.1f}{rate:16.1f}{rate / lib_rate:8.0%}"
            f"  {done}/{count}"
        )
    print(
        "  (one process = one Celery worker's process; 'library': the reader called directly on"
        " the bytes; 'service': documents.texts.text_extract, what the task runs: the file from"
        " storage, the reader, the version's state, the text row and its vector)"
    )


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", 8)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--scale", type=float, default=env.scale())
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)))
    parser.add_argument(
        "--documents", type=int, default=env.scaled(200_000, override="BENCH_DOCUMENTS")
    )
    parser.add_argument(
        "--files", type=int, default=env.scaled(200, override="BENCH_FILES", minimum=10)
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.rebuild = bool(os.environ.get("BENCH_REBUILD"))
    args.sql_only, args.explain = False, False
    use_database(args.scale)
    environment = bp.settings_env()
    os.environ.update(environment)
    env.ensure_database(bp.DATABASE)
    import django

    django.setup()
    from django.core.management import call_command

    people = ensure_data(args.documents, args.rebuild)
    parts = [p for p in ("search", "extract") if not args.only or p in args.only]
    print(
        f"Document search at scale {args.scale:g} ({args.documents:,} documents):"
        f" {', '.join(parts)}"
    )
    if "search" in parts:
        bp.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        measure_search(args, people, environment)
    if "extract" in parts:
        measure_extraction(args, people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
