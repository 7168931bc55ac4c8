"""Default functions of the permission groups, contact types, TEÁOR industries and the GDPR
notice templates. Admins change all of them freely afterwards."""

from pathlib import Path

from django.db import migrations

from crm.groups import grant
from partners.groups import PARTNER_GRANTS

CONTACT_TYPES = [
    ("Döntéshozó", "Decision maker", True),
    ("Ügyvezető", "Managing director", True),
    ("Pénzügyi", "Financial", False),
    ("Műszaki", "Technical", False),
    ("Beszerzés", "Purchasing", False),
]

GDPR_HU = (
    "Tájékoztatás adatai kezeléséről",
    """<p>Tisztelt {{ contact.full_name }}!</p>
<p>Tájékoztatjuk, hogy a(z) {{ company.name }} üzleti kapcsolattartás céljából nyilvántartásba
vette az Ön nevét és elérhetőségét ({{ contact.partner.name }} kapcsolattartójaként).</p>
<p>Az adatkezelés jogalapja a társaságok közötti üzleti kapcsolat fenntartásához fűződő jogos
érdek. Ön bármikor kérheti adatai megismerését, helyesbítését vagy törlését, és tiltakozhat a
kezelésük ellen: erre az e-mailre válaszolva vagy a {{ company.name }} elérhetőségein.</p>
<p>Üdvözlettel:<br>{{ company.name }}</p>""",
    """Tisztelt {{ contact.full_name }}!

Tájékoztatjuk, hogy a(z) {{ company.name }} üzleti kapcsolattartás céljából nyilvántartásba
vette az Ön nevét és elérhetőségét ({{ contact.partner.name }} kapcsolattartójaként).

Az adatkezelés jogalapja a társaságok közötti üzleti kapcsolat fenntartásához fűződő jogos
érdek. Ön bármikor kérheti adatai megismerését, helyesbítését vagy törlését, és tiltakozhat a
kezelésük ellen: erre az e-mailre válaszolva vagy a {{ company.name }} elérhetőségein.

Üdvözlettel:
{{ company.name }}""",
)
GDPR_EN = (
    "How we handle your data",
    """<p>Dear {{ contact.full_name }},</p>
<p>{{ company.name }} has recorded your name and contact details for business communication,
as a contact person of {{ contact.partner.name }}.</p>
<p>We process them on the basis of our legitimate interest in keeping up business relations
between companies. You may ask at any time to see, correct or erase your data, or object to
its processing: reply to this e-mail or contact {{ company.name }}.</p>
<p>Kind regards,<br>{{ company.name }}</p>""",
    """Dear {{ contact.full_name }},

{{ company.name }} has recorded your name and contact details for business communication,
as a contact person of {{ contact.partner.name }}.

We process them on the basis of our legitimate interest in keeping up business relations
between companies. You may ask at any time to see, correct or erase your data, or object to
its processing: reply to this e-mail or contact {{ company.name }}.

Kind regards,
{{ company.name }}""",
)


def forwards(apps, schema_editor):
    grant(apps, schema_editor, PARTNER_GRANTS)
    ContactType = apps.get_model("partners", "ContactType")
    for order, (hu, en, single) in enumerate(CONTACT_TYPES):
        ContactType.objects.get_or_create(
            name_hu=hu, defaults={"name_en": en, "single": single, "order": order}
        )
    Industry = apps.get_model("partners", "Industry")
    data = Path(__file__).resolve().parent.parent / "data" / "teaor.csv"
    for line in data.read_text(encoding="utf-8").splitlines():
        code, hu, en = line.split(";", 2)
        Industry.objects.get_or_create(code=code, defaults={"name_hu": hu, "name_en": en})
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for language, (subject, html, text) in (("hu", GDPR_HU), ("en", GDPR_EN)):
        MessageTemplate.objects.get_or_create(
            key="partners-gdpr-notice",
            language=language,
            channel="email",
            defaults={"subject": subject, "body_html": html, "body_text": text},
        )


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial"), ("crm", "0008_visibility_owner_in_key")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
