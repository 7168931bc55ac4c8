"""Issue 22: the GDPR notice once per own company and address (each own company is a data
controller and names itself in the notice); the Marketing group maintains the partner registry;
a headcount beside each year's balance-sheet figures."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from crm.groups import grant

# Marketing's new default functions (partners.groups.PARTNER_GRANTS has them too): adding and
# changing partners (with contacts and tags, which it had) and user-defined attribute
# definitions; not deleting, not handing partners over to other owners.
MARKETING_REGISTRY = [
    "partners.add_partner",
    "partners.change_partner",
    "partners.view_attributedefinition",
    "partners.add_attributedefinition",
    "partners.change_attributedefinition",
]

OLD_SUBJECTS = {"hu": "Tájékoztatás adatai kezeléséről", "en": "How we handle your data"}
NEW_SUBJECTS = {
    "hu": "{{ company.name }}: tájékoztatás adatai kezeléséről",
    "en": "{{ company.name }}: how we handle your data",
}
# The seeded notices said who recorded the data; now they say it is the controller too.
OLD_LINES = {
    "hu": "Tájékoztatjuk, hogy a(z) {{ company.name }} üzleti kapcsolattartás céljából",
    "en": "{{ company.name }} has recorded your name and contact details for business",
}
NEW_LINES = {
    "hu": "Tájékoztatjuk, hogy a(z) {{ company.name }} mint adatkezelő üzleti kapcsolattartás"
    " céljából",
    "en": "{{ company.name }}, as the controller of your data, has recorded your name and"
    " contact details for business",
}


def forwards(apps, schema_editor):
    grant(apps, schema_editor, {"marketing": MARKETING_REGISTRY})
    GdprNotice = apps.get_model("partners", "GdprNotice")
    Company = apps.get_model("crm", "Company")
    # A notice sent so far was sent by the company of its message; one without a message
    # (deleted) counts as the first company's, which sent in the name of all until now.
    first = Company.objects.order_by("pk").values_list("pk", flat=True).first()
    for notice in GdprNotice.objects.filter(company__isnull=True).select_related("message"):
        notice.company_id = notice.message.company_id if notice.message_id else first
        if notice.company_id is None:
            notice.delete()
        else:
            notice.save(update_fields=["company"])
    # Check the foreign keys now: pending deferred checks would stop the ALTER TABLE below.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for template in MessageTemplate.objects.filter(key="partners-gdpr-notice", channel="email"):
        language = template.language
        if template.subject == OLD_SUBJECTS.get(language):  # left as seeded: name the company
            template.subject = NEW_SUBJECTS[language]
            for field in ("body_html", "body_text"):
                text = getattr(template, field)
                setattr(template, field, text.replace(OLD_LINES[language], NEW_LINES[language]))
            template.save(update_fields=["subject", "body_html", "body_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0010_contact_index_with_given_name"),
        ("crm", "0009_visibility_sort_key"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="gdprnotice", name="partners_gdpr_notice_once"),
        migrations.AddField(
            model_name="gdprnotice",
            name="company",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.company",
                verbose_name="own company",
            ),
        ),
        migrations.AddField(
            model_name="partnerfinancials",
            name="headcount",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="headcount"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="gdprnotice",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.company",
                verbose_name="own company",
            ),
        ),
        migrations.AddConstraint(
            model_name="gdprnotice",
            constraint=models.UniqueConstraint(
                models.F("company"),
                django.db.models.functions.text.Upper("email"),
                name="partners_gdpr_notice_once_per_company",
            ),
        ),
    ]
