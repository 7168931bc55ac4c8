"""Benchmark: generating PDFs from a template through the document generator, beside WeasyPrint
drawing the same HTML directly, in the same run.

    python scripts/stack.py bench bench/documents_generate.py                  # 500 PDFs
    BENCH_SCALE=0.1 python scripts/stack.py bench bench/documents_generate.py  # 50

It works in a database of its own (``crm_bench_documents`` + ``BENCH_DATABASE_SUFFIX``, created
if missing, migrated) and stores files under ``var/bench/documents-media/`` (emptied first):

1. builds N partners (``BENCH_DOCUMENTS``, default 500 × ``BENCH_SCALE``), each with an owner
   and two contacts of different types, and the demo's framework contract as an HTML template
   (a one-page A4 contract with tables, a page number and the pack's shared values);
2. the HTML of each partner's PDF is drawn from the template first (untimed);
3. then, partner after partner, its PDF is made three ways in turn (interleaved, so that a
   change of a shared machine's load falls on all three alike):
   - the baseline: ``weasyprint.HTML(string=html).write_pdf()``, what a hand-written script
     that only makes the PDFs would call;
   - the same with one ``FontConfiguration`` shared by all documents (what the generator does;
     printed for comparison);
   - the generator: ``documents.generator.generate``, timed as a whole: the record's variables
     (queries through ``visible_to``), Jinja, WeasyPrint, the store's upload checks and hash,
     the file written to storage, the document, version, link, audit and generation rows in
     one transaction.

It prints PDFs per second of each and the generator's ratio to the baseline (goal: 80 % or
more), and how the generator's time splits between WeasyPrint and the rest.
"""

import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import env  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
DB_NAME = env.database_name("crm_bench_documents")
os.environ["DATABASE_URL"] = env.database_url("crm_bench_documents")
os.environ["TEST_REDIS_URL"] = env.redis_url()
MEDIA = ROOT / "var" / "bench" / "documents-media"

N = env.scaled(500, override="BENCH_DOCUMENTS", minimum=3)
GOAL = 0.80
FAMILY = ["Kovács", "Szabó", "Tóth", "Horváth", "Varga", "Kiss", "Molnár", "Németh", "Farkas"]
GIVEN = ["Győző", "Ödön", "Éva", "Tünde", "Örs", "Ágnes", "Lőrinc", "Zsófia", "Gergő"]


def build(company, user):
    """N partners of ``user`` with two contacts each, and the contract template."""
    from django.core.files.base import ContentFile

    from documents import generator
    from documents.generator_demo import CONTRACT_HTML
    from documents.generator_models import FieldKind, Pack, PackField, PackItem
    from documents.models import DocumentType
    from partners.models import Contact, ContactRole, ContactType, Partner, PartnerOwner

    types = list(ContactType.objects.order_by("order")[:2])
    partners = Partner.objects.bulk_create(
        Partner(
            name=f"Őrszem-Űrtechnika {i:04d} Kft.",
            postcode="9027",
            city="Győr",
            street=f"Ipari park {i % 90 + 1}.",
            phones=["+36 96 123 456"],
            emails=[f"info{i}@pelda.hu"],
        )
        for i in range(N)
    )
    PartnerOwner.objects.bulk_create(
        PartnerOwner(partner=p, company=company, user=user) for p in partners
    )
    contacts = Contact.objects.bulk_create(
        Contact(
            partner=p,
            family_name=FAMILY[(i + k) % len(FAMILY)],
            given_name=GIVEN[(i * 3 + k) % len(GIVEN)],
            position="ügyvezető" if k == 0 else "pénzügyi vezető",
        )
        for i, p in enumerate(partners)
        for k in range(2)
    )
    ContactRole.objects.bulk_create(
        ContactRole(
            contact=c, partner_id=c.partner_id, type=types[i % 2], single=types[i % 2].single
        )
        for i, c in enumerate(contacts)
    )
    template = generator.template_create(
        user=user,
        company_id=company.pk,
        name="Szállítási keretszerződés",
        uploaded=ContentFile(CONTRACT_HTML.encode(), name="Keretszerződés.html"),
        folder=None,
        output_type=DocumentType.CONTRACT,
    )
    pack = Pack.objects.create(company=company, name="Szerződéscsomag")
    PackItem.objects.create(pack=pack, template=template)
    for key, kind in (
        ("contract_value", FieldKind.AMOUNT),
        ("start_date", FieldKind.DATE),
        ("handover_place", FieldKind.TEXT),
    ):
        PackField.objects.create(pack=pack, key=key, label=key, kind=kind)
    return partners, template, pack


def shared_values(pack):
    import datetime
    from decimal import Decimal

    from documents import packs

    fields = {f.key: f for f in packs.pack_fields(pack)}
    typed = {
        "contract_value": Decimal("12500000"),
        "start_date": datetime.date(2027, 1, 1),
        "handover_place": "Győr, Ipari park 4.",
    }
    return {key: packs.shown(fields[key], value) for key, value in typed.items()}


def main() -> int:
    env.ensure_database(DB_NAME)
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # no progress line per step
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from crm import templating
    from crm.groups import DEFAULT_GROUPS
    from crm.models import Company, Membership
    from documents import engines, generator

    call_command("migrate", verbosity=0)
    shutil.rmtree(MEDIA, ignore_errors=True)
    MEDIA.mkdir(parents=True)
    settings.MEDIA_ROOT = MEDIA
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE partners_partner, documents_document, documents_documentevent,"
            " documents_documenttemplate, documents_pack, crm_visibility RESTART IDENTITY CASCADE"
        )
    company, _ = Company.objects.get_or_create(
        tax_number="10773381-2-44", defaults={"name": "Példa Kereskedelmi Kft."}
    )
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username="bench.generator",
        defaults={"last_name": "Kovács", "first_name": "Anna", "current_company": company},
    )
    if created:
        Membership.objects.create(user=user, company=company)
        user.groups.add(Group.objects.get(name=DEFAULT_GROUPS["sales_rep"]))
    started = time.perf_counter()
    partners, template, pack = build(company, user)
    print(f"built {N} partners and the template in {time.perf_counter() - started:.1f} s")
    shared = shared_values(pack)
    problems = generator.template_problems(template)
    assert not problems, problems

    # the HTML each PDF is drawn from: the same text both ways
    data, key = generator.template_bytes(template)
    htmls = []
    for partner in partners:
        source = generator.source_for(user=user, kind="partner", record=partner, shared=shared)
        htmls.append(engines.render_html(data, templating.context(source), key=key))

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    shared_fonts = FontConfiguration()

    def direct(html):
        return weasyprint.HTML(string=html).write_pdf()

    def direct_tuned(html):
        return weasyprint.HTML(string=html).write_pdf(font_config=shared_fonts)

    in_weasyprint = 0.0
    real = engines.html_to_pdf

    def timed_pdf(html):
        nonlocal in_weasyprint
        start = time.perf_counter()
        try:
            return real(html)
        finally:
            in_weasyprint += time.perf_counter() - start

    engines.html_to_pdf = timed_pdf  # measures the share of WeasyPrint inside the generator
    direct(htmls[0]), direct_tuned(htmls[0])  # warm: imports, font caches
    totals = {"direct": 0.0, "tuned": 0.0, "generator": 0.0}
    sizes = 0
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
    # Interleaved: each partner's PDF directly, then through the generator, so a change of
    # the machine's load in between falls on both alike.
    for partner, html in zip(partners, htmls, strict=True):
        start = time.perf_counter()
        sizes += len(direct(html))
        totals["direct"] += time.perf_counter() - start
        start = time.perf_counter()
        direct_tuned(html)
        totals["tuned"] += time.perf_counter() - start
        if profile is not None:
            profile.enable()
        start = time.perf_counter()
        generator.generate(
            template=template, kind="partner", record=partner, user=user, shared=shared
        )
        totals["generator"] += time.perf_counter() - start
        if profile is not None:
            profile.disable()
    engines.html_to_pdf = real
    if profile is not None:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)

    print(f"\n{N} PDFs of a one-page contract (A4, tables, page number, DejaVu Sans),")
    print(f"{sizes / N / 1024:.0f} KB each; each partner's PDF made three ways in turn:\n")
    labels = {
        "direct": "WeasyPrint directly: HTML(string=…).write_pdf()",
        "tuned": "WeasyPrint directly, one FontConfiguration shared",
        "generator": "generator: variables, Jinja, WeasyPrint, store, audit",
    }
    for key, label in labels.items():
        seconds = totals[key]
        print(f"{label:<56}{seconds:8.2f} s {N / seconds:8.1f} PDF/s {seconds / N * 1000:7.1f} ms")
    ratio = totals["direct"] / totals["generator"]
    tuned = totals["tuned"] / totals["generator"]
    rest = (totals["generator"] - in_weasyprint) / N * 1000
    print(
        f"\ngenerator / WeasyPrint directly: {ratio:.0%} (goal ≥ {GOAL:.0%}:"
        f" {'met' if ratio >= GOAL else 'NOT met'}); / the shared-fonts script: {tuned:.0%}"
    )
    print(
        f"per PDF in the generator: {in_weasyprint / N * 1000:.1f} ms WeasyPrint,"
        f" {rest:.1f} ms the rest (variables, Jinja, checks, storage, rows)"
    )
    from documents.generator_models import Generation

    stored = Generation.objects.filter(template=template, sealed=True).count()
    print(f"stored: {stored} sealed PDFs linked to their partners")
    return 0 if stored == N else 1


if __name__ == "__main__":
    sys.exit(main())
