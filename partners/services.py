"""Write operations on partners and contacts. Views, imports and syncs call these, never
``save()`` directly, so every path validates alike and sends the GDPR notice alike."""

import json
import logging
import re
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.messaging.models import Message
from crm.models import Company
from crm.scoping import current_company_id
from crm.versioning import save_versioned

from .financials import partner_financials_set
from .models import (
    Consent,
    ConsentSource,
    Contact,
    ContactRole,
    GdprNotice,
    Partner,
    PartnerAddress,
    PartnerOwner,
)

logger = logging.getLogger(__name__)

GDPR_TEMPLATE = "partners-gdpr-notice"
# The notices' outbox key: company and address (no address left in it after an erasure).
GDPR_KEY = "gdpr-notice:"


def acting_company(user) -> Company:
    """The own company the user acts for: their current one, else (a superuser without
    membership) the first active company."""
    company_id = current_company_id(user)
    if company_id is not None:
        return Company.objects.get(pk=company_id)
    company = Company.objects.filter(is_active=True).order_by("pk").first()
    if company is None:
        raise ValidationError(_("You belong to no own company yet; ask the administrator."))
    return company


# ----------------------------------------------------------------------------- partners


# Hungarian legal-form designations, long and short, as ``_name_words`` leaves them (unaccented,
# lower case, punctuation as spaces: "e.v." is "e v"). They are in nearly every company name,
# so they must not make two companies look alike.
LEGAL_FORMS = (
    "korlatolt felelossegu tarsasag",
    "kft",
    "zartkoruen mukodo reszvenytarsasag",
    "zrt",
    "nyilvanosan mukodo reszvenytarsasag",
    "nyrt",
    "reszvenytarsasag",
    "rt",
    "beteti tarsasag",
    "bt",
    "kozkereseti tarsasag",
    "kkt",
    "kozhasznu tarsasag",
    "kht",
    "nonprofit",
    "kozhasznu",
    "egyeni vallalkozo",
    "egyeni vallalkozas",
    "e v",
    "ev",
    "egyeni ceg",
    "e c",
    "ec",
    "szovetkezet",
    "szov",
    "felszamolas alatt",
    "f a",
    "vegelszamolas alatt",
    "v a",
    "csodeljaras alatt",
    "cs a",
)
# Words that say what a company does, not which company it is ("Kereskedelmi és Szolgáltató"):
# left out of the index search's needle (they match a good part of the master, slowly) and of
# the comparison, so "Példa Kereskedelmi" does not look like "Hajdúsági Pékáru Kereskedelmi".
GENERIC_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as words
        "es and tarsa fia kereskedelmi szolgaltato ipari termelo ertekesito fejleszto tanacsado"
        " hungary trade trading holding csoport group center centrum invest export import service"
        " services plusz team international"
    ).split()
)
_LEGAL_FORM = re.compile(r"\b(?:" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r")\b")
# The index search keeps the candidates whose search text has a stretch this much like the
# needle (pg_trgm's word similarity, 0.6 by default: loose enough to fetch thousands); a
# name this much like the other (trigram similarity of the distinctive words) is shown.
WORD_SIMILARITY_THRESHOLD = 0.8
NAME_SIMILARITY_THRESHOLD = 0.5
DUPLICATE_CANDIDATES = 200
DUPLICATES_SHOWN = 5


def _name_words(name: str) -> list[str]:
    """The words of a company name without its legal form: ``Példa Kereskedelmi Kft.`` →
    ``["pelda", "kereskedelmi"]``."""
    from .search import normalise

    text = re.sub(r"[^a-z0-9]+", " ", normalise(name))
    words = _LEGAL_FORM.sub(" ", text).split()
    # a legal form still being typed at the end ("… Korlátolt Felelősségű Társ"): the live
    # check asks as one types
    for count in range(min(len(words) - 1, 3), 0, -1):
        tail = " ".join(words[-count:])
        if any(form.startswith(tail) and form != tail for form in LEGAL_FORMS):
            return words[:-count]
    return words


def name_core(name: str) -> str:
    """What tells the company apart: its name without the legal form and, unless nothing else
    is left, without the generic words (``Példa Kereskedelmi Kft.`` → ``pelda``)."""
    words = _name_words(name)
    distinctive = [w for w in words if w not in GENERIC_WORDS]
    return " ".join(distinctive or words)


def _trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of ``text`` (each word padded with two spaces before, one after)."""
    found = set()
    for word in re.findall(r"[a-z0-9]+", text):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def name_similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity()`` of two name cores."""
    first, second = _trigrams(a), _trigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def _similar_names(core: str, exclude_pk: int | None) -> list[tuple[float, Partner]]:
    """Partners whose name core is like ``core``, with their similarity: candidates through
    the trigram index of ``search_text`` (``core <% search_text``, at most
    ``DUPLICATE_CANDIDATES``), then judged by their own cores."""
    from django.db import connection

    queryset = Partner.objects.filter(search_text__trigram_word_similar=core)
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    queryset = queryset.only("pk", "name", "tax_number", "city")[:DUPLICATE_CANDIDATES]
    setting = "pg_trgm.word_similarity_threshold"
    # The threshold holds for this transaction only; it is put back at once in case the
    # caller's transaction goes on.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [setting])
        previous = cursor.fetchone()[0] or "0.6"
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, str(WORD_SIMILARITY_THRESHOLD)])
        candidates = list(queryset)
        cursor.execute("SELECT set_config(%s, %s, true)", [setting, previous])
    scored = [(name_similarity(core, name_core(p.name)), p) for p in candidates]
    return [(score, p) for score, p in scored if score >= NAME_SIMILARITY_THRESHOLD]


def duplicates_of(
    *,
    name: str,
    tax_number: str | None,
    registration_number: str = "",
    exclude_pk: int | None = None,
):
    """Partners that look like the same company: the same tax number, the same company
    registration number, or a similar name once the legal forms and generic words are left
    out of both (``name_core``). At most 5: the same tax number first, then the same
    registration number, then the most similar names. An empty ``name``: the numbers only
    (an edit that keeps the name)."""
    found: dict[int, tuple[float, Partner]] = {}
    for score, field, value in [
        (2.0, "tax_number", tax_number),
        (1.5, "registration_number", registration_number),
    ]:
        if not value:
            continue
        same = Partner.objects.filter(**{field: value})
        if exclude_pk:
            same = same.exclude(pk=exclude_pk)
        for partner in same.only("pk", "name", "tax_number", "registration_number", "city"):
            found.setdefault(partner.pk, (score, partner))
    core = name_core(name)
    if len(core) >= 3:
        for score, partner in _similar_names(core, exclude_pk):
            found.setdefault(partner.pk, (score, partner))
    ranked = sorted(found.values(), key=lambda s: (-s[0], s[1].name, s[1].pk))
    return [partner for _score, partner in ranked[:DUPLICATES_SHOWN]]


def partner_addresses_set(*, partner: Partner, addresses: list[dict]) -> None:
    """Replaces the partner's site and mailing addresses with ``addresses`` (field dicts)."""
    rows = [PartnerAddress(partner=partner, **address) for address in addresses]
    for row in rows:
        row.full_clean(exclude=["partner"])
    partner.addresses.all().delete()
    PartnerAddress.objects.bulk_create(rows)


def partner_create(
    *,
    user,
    partner: Partner,
    tags=(),
    owners=None,
    addresses: list[dict] | None = None,
    financials: list[dict] | None = None,
) -> Partner:
    """Saves a new partner; its owners in the user's company are ``owners`` or the user;
    ``financials`` are its balance-sheet years (``partners.financials``)."""
    company = acting_company(user)
    partner.created_by = user if user and user.pk else None
    partner.full_clean()
    with transaction.atomic():
        try:
            with transaction.atomic():
                partner.save()
        except IntegrityError:
            raise ValidationError(
                {"tax_number": _("A partner with this tax number already exists.")}
            ) from None
        if tags:
            partner.tags.set(tags)
        if addresses:
            partner_addresses_set(partner=partner, addresses=addresses)
        if financials:
            partner_financials_set(partner=partner, rows=financials)
        for owner in owners if owners is not None else [user]:
            PartnerOwner.objects.create(partner=partner, company=company, user=owner)
    return partner


def partner_update(
    *,
    user,
    partner: Partner,
    fields: list[str],
    expected_version: int,
    tags=None,
    addresses: list[dict] | None = None,
    financials: list[dict] | None = None,
):
    """Saves edited fields if nobody saved in between (else ``crm.versioning.Conflict``);
    ``financials`` (when given) replace the partner's balance-sheet years."""
    partner.full_clean()
    with transaction.atomic():
        try:
            with transaction.atomic():
                save_versioned(partner, expected_version=expected_version, fields=fields)
        except IntegrityError:
            raise ValidationError(
                {"tax_number": _("A partner with this tax number already exists.")}
            ) from None
        if tags is not None:
            partner.tags.set(tags)
        if addresses is not None:
            partner_addresses_set(partner=partner, addresses=addresses)
        if financials is not None:
            partner_financials_set(partner=partner, rows=financials)
    return partner


def partner_assign(*, partner: Partner, company, users, by, reason: str = "") -> None:
    """Makes ``users`` the partner's owners in ``company`` (adds and removes owner rows; the
    history records who did it and why)."""
    wanted = {u.pk for u in users}
    with transaction.atomic():
        current = PartnerOwner.objects.select_for_update().filter(partner=partner, company=company)
        present = {row.user_id for row in current}
        PartnerOwner.objects.filter(
            partner=partner, company=company, user_id__in=present - wanted
        ).delete()
        PartnerOwner.objects.bulk_create(
            [
                PartnerOwner(partner=partner, company=company, user_id=pk, reason=reason[:200])
                for pk in wanted - present
            ]
        )


def partners_free_in(company_id: int | None, partners) -> set[int]:
    """Which of ``partners`` have no owner in ``company_id``: a user of that company may take
    them on (``partner_take_on``). The partner master is shared by the own companies."""
    ids = [p.pk for p in partners]
    if not ids or company_id is None:
        return set()
    owned = set(
        PartnerOwner.objects.filter(partner_id__in=ids, company_id=company_id).values_list(
            "partner_id", flat=True
        )
    )
    return set(ids) - owned


def partner_take_on(*, partner: Partner, user, company) -> None:
    """``user`` becomes the owner of ``partner`` in ``company`` when nobody owns it there yet:
    a company that the shared partner master already holds (another own company works it, or
    it is in the unassigned pool) is taken on instead of being typed in again."""
    with transaction.atomic():
        taken = (
            PartnerOwner.objects.select_for_update()
            .filter(partner=partner, company=company)
            .exists()
        )
        if taken:
            raise ValidationError(
                _(
                    "This partner already has an owner in your company: ask its owner or your"
                    " manager to share it with you."
                )
            )
        PartnerOwner.objects.create(
            partner=partner, company=company, user=user, reason=_("taken on")[:200]
        )


# ----------------------------------------------------------------------------- contacts


def _check_single_types(*, contact: Contact, types) -> None:
    """A clear message (instead of the database's refusal) for a second contact of a
    single-only type at the same partner."""
    for contact_type in types:
        if not contact_type.single:
            continue
        holder = (
            ContactRole.objects.filter(partner_id=contact.partner_id, type=contact_type)
            .exclude(contact_id=contact.pk)
            .select_related("contact")
            .first()
        )
        if holder:
            raise ValidationError(
                {
                    "types": _(
                        "%(partner)s already has a %(type)s contact: %(holder)s. A partner may"
                        " have only one."
                    )
                    % {
                        "partner": contact.partner,
                        "type": contact_type,
                        "holder": holder.contact,
                    }
                }
            )


def _set_types(contact: Contact, types) -> None:
    wanted = {t.pk: t for t in types}
    ContactRole.objects.filter(contact=contact).exclude(type_id__in=wanted).delete()
    ContactRole.objects.filter(contact=contact).exclude(partner_id=contact.partner_id).update(
        partner_id=contact.partner_id
    )
    present = set(ContactRole.objects.filter(contact=contact).values_list("type_id", flat=True))
    try:
        with transaction.atomic():
            ContactRole.objects.bulk_create(
                [
                    ContactRole(
                        contact=contact, type=t, partner_id=contact.partner_id, single=t.single
                    )
                    for pk, t in wanted.items()
                    if pk not in present
                ]
            )
    except IntegrityError:
        raise ValidationError(
            {"types": _("This partner already has a contact of this type.")}
        ) from None


def contact_create(
    *, user, contact: Contact, types=(), source: str = ConsentSource.FORM, company=None
) -> Contact:
    """Saves a new contact with its types; after commit, the GDPR notice goes to its e-mail
    address (once per address, whoever registers it again)."""
    company = company or acting_company(user)
    contact.created_by = user if user and user.pk else None
    contact.full_clean()
    _check_single_types(contact=contact, types=types)
    with transaction.atomic():
        contact.save()
        _set_types(contact, types)
        gdpr_notice_queue(contact=contact, company=company, user=user)
    return contact


def contact_update(*, user, contact: Contact, fields: list[str], expected_version: int, types=None):
    """Saves edited fields; the user's own company sends its GDPR notice to addresses it has
    not notified yet (an import acts in the job's company: ``imports._as_job_user``)."""
    company = acting_company(user)
    contact.full_clean()
    if types is not None:
        _check_single_types(contact=contact, types=types)
    with transaction.atomic():
        save_versioned(contact, expected_version=expected_version, fields=fields)
        if types is not None:
            _set_types(contact, types)
        elif "partner" in fields:
            _set_types(contact, [role.type for role in contact.roles.select_related("type")])
        gdpr_notice_queue(contact=contact, company=company, user=user)
    return contact


def gdpr_notice_queue(*, contact: Contact, company, user) -> list[GdprNotice]:
    """Queues ``company``'s GDPR notice to each of the contact's addresses that this company
    never notified. Each own company is a data controller of its own and names itself in the
    notice, so another own company's notice does not count; the unique index on (company,
    address) makes a second registration by the same company (or a race) send nothing."""
    from crm.messaging.services import message_queue

    notices = []
    for email in contact.emails:
        if GdprNotice.objects.filter(company=company, email__iexact=email).exists():
            continue
        try:
            with transaction.atomic():
                notice = GdprNotice.objects.create(company=company, email=email, contact=contact)
                notice.message = message_queue(
                    channel="email",
                    recipient=email,
                    company=company,
                    owner=user,
                    created_by=user,
                    template=GDPR_TEMPLATE,
                    language=contact.language,
                    context={"contact": contact, "company": company},
                    about=contact,
                    idempotency_key=f"{GDPR_KEY}{company.pk}:{email.lower()}",
                )
                notice.save(update_fields=["message"])
        except IntegrityError:
            continue  # another transaction registered the address meanwhile
        except ValidationError as refusal:  # a suppressed or invalid address
            logger.info("GDPR notice to %s not queued: %s", email, refusal)
            continue
        notices.append(notice)
    return notices


def consent_record(
    *, contact: Contact, purpose: str, granted: bool, source: str, user=None, note: str = ""
) -> Consent:
    consent = Consent(
        contact=contact,
        purpose=purpose,
        granted=granted,
        source=source,
        note=note,
        recorded_at=timezone.now(),
        recorded_by=user,
    )
    consent.full_clean()
    consent.save()
    return consent


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def contact_export(*, contact: Contact) -> dict:
    """Everything held about a person (GDPR access request), as plain JSON-able data."""
    partner = contact.partner
    content_type = ContentType.objects.get_for_model(Contact)
    messages = Message.objects.filter(content_type=content_type, object_id=str(contact.pk))
    addresses = [e.lower() for e in contact.emails]
    if addresses:
        messages = messages | Message.objects.filter(recipient__in=addresses)
    return {
        "exported_at": timezone.now().isoformat(),
        "person": {
            "title": contact.title,
            "family_name": contact.family_name,
            "given_name": contact.given_name,
            "position": contact.position,
            "emails": contact.emails,
            "phones": contact.phones,
            "preferred_language": contact.language,
            "notes": contact.notes,
            "attributes": contact.attributes,
            "types": [str(t) for t in contact.types.all()],
            "created_at": contact.created_at.isoformat(),
            "updated_at": contact.updated_at.isoformat(),
        },
        "partner": {"name": partner.name, "tax_number": partner.tax_number},
        # which own companies (each a controller of its own) notified the person, and when
        "gdpr_notices": [
            {"company": n.company.name, "email": n.email, "queued_at": n.queued_at.isoformat()}
            for n in GdprNotice.objects.filter(Q(contact=contact) | Q(email__in=addresses))
            .select_related("company")
            .order_by("queued_at", "pk")
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "granted": c.granted,
                "recorded_at": c.recorded_at.isoformat(),
                "source": c.source,
                "note": c.note,
            }
            for c in contact.consents.all()
        ],
        "messages": [
            {
                "channel": m.channel,
                "recipient": m.recipient,
                "subject": m.subject,
                "status": m.status,
                "created_at": m.created_at.isoformat(),
                "sent_at": _plain(m.sent_at),
            }
            for m in messages.distinct().order_by("created_at")
        ],
        "history": [
            {
                "at": event.pgh_created_at.isoformat(),
                "event": event.pgh_label,
                "family_name": event.family_name,
                "given_name": event.given_name,
                "emails": event.emails,
                "phones": event.phones,
            }
            for event in contact.events.order_by("pgh_id")
        ],
    }


def contact_export_json(*, contact: Contact) -> str:
    return json.dumps(contact_export(contact=contact), ensure_ascii=False, indent=2)


ERASED = "—"


def contact_erase(*, contact: Contact, user) -> Contact:
    """GDPR erasure: the person's data goes, the row stays (activities and documents that must
    be kept still point at it) as an anonymous contact. Its change history, the addresses in
    messages and the GDPR notice rows go too; a consent row records the erasure itself."""
    from crm.messaging.models import MessageEvent

    addresses = [e.lower() for e in contact.emails]
    with transaction.atomic():
        content_type = ContentType.objects.get_for_model(Contact)
        messages = Message.objects.filter(content_type=content_type, object_id=str(contact.pk))
        if addresses:
            messages = messages | Message.objects.filter(recipient__in=addresses)
        message_ids = list(messages.values_list("pk", flat=True))
        Message.objects.filter(pk__in=message_ids).update(
            recipient=ERASED, body_text="", body_html="", subject=ERASED
        )
        MessageEvent.objects.filter(message_id__in=message_ids).update(detail="")
        # The notices' outbox keys hold the address; without it, a later registration of the
        # same person is notified afresh (the notice rows go below).
        Message.objects.filter(pk__in=message_ids, idempotency_key__startswith=GDPR_KEY).update(
            idempotency_key=Concat(Value("erased:"), Cast("pk", CharField()))
        )
        GdprNotice.objects.filter(contact=contact).delete()
        GdprNotice.objects.filter(email__in=addresses).delete()
        contact.title = ""
        contact.family_name = _("Erased person")
        contact.given_name = ""
        contact.position = ""
        contact.emails = []
        contact.phones = []
        contact.notes = ""
        contact.attributes = {}
        contact.erased_at = timezone.now()
        contact.version += 1
        contact.save()
        contact.consents.all().delete()
        consent_record(
            contact=contact,
            purpose="data",
            granted=False,
            source=ConsentSource.FORM,
            user=user,
            note=_("Personal data erased on request."),
        )
        # The history rows hold the old values: they go, and this erasure is the new start.
        contact.events.all().delete()
    return contact
