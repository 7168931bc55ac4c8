"""The query builder's functions of the default permission groups and the e-mail of a
scheduled report (data migration querybuilder/0002). Admins change both freely afterwards."""

_SAVED = [f"querybuilder.{a}_savedquery" for a in ("view", "add", "change", "delete")]
_SCHEDULES = [f"querybuilder.{a}_scheduledreport" for a in ("view", "add", "change", "delete")]

# Reps run the queries shared with them (with their own rows); managers, marketing and finance
# make and share their own; schedules are for sales managers and administrators.
QUERYBUILDER_GRANTS = {
    "sales_rep": ["querybuilder.view_savedquery", "crm.run_query_builder"],
    "sales_manager": [*_SAVED, *_SCHEDULES],
    "marketing": [*_SAVED, "crm.run_query_builder"],
    "finance": [*_SAVED, "crm.run_query_builder"],
    "administrator": [*_SAVED, *_SCHEDULES, "querybuilder.view_exportrecord"],
}

SCHEDULED_TEMPLATE = "querybuilder-scheduled-report"

TEMPLATES = {
    SCHEDULED_TEMPLATE: {
        "hu": (
            "{{ query }} – {{ period }}",
            """<p>Kedves {{ recipient }}!</p>
<p>Csatolva küldjük a(z) <strong>{{ query }}</strong> lekérdezés eredményét
({{ period }}), az Ön által látható adatokkal: {{ rows }} sor{% if truncated %}
(az első {{ rows }}; a teljes eredményt a CRM-ben éri el){% endif %}.</p>
{% if description %}<p>{{ description|linebreaksbr }}</p>{% endif %}
{% if filters %}<ul>{% for line in filters %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
{% if error %}<p><strong>A lekérdezés most nem futott le:</strong> {{ error }}</p>{% endif %}
<p><a href="{{ url }}">Megnyitás a CRM-ben</a></p>""",
            """Kedves {{ recipient }}!

Csatolva küldjük a(z) {{ query }} lekérdezés eredményét ({{ period }}), az Ön által látható
adatokkal: {{ rows }} sor{% if truncated %} (az első {{ rows }}; a teljes eredményt a CRM-ben
éri el){% endif %}.
{% if description %}
{{ description }}
{% endif %}{% for line in filters %}
- {{ line }}{% endfor %}
{% if error %}
A lekérdezés most nem futott le: {{ error }}
{% endif %}
{{ url }}""",
        ),
        "en": (
            "{{ query }} – {{ period }}",
            """<p>Dear {{ recipient }},</p>
<p>Attached is the result of the query <strong>{{ query }}</strong> ({{ period }}), with
the data you may see: {{ rows }} rows{% if truncated %} (the first {{ rows }}; open the CRM
for the whole result){% endif %}.</p>
{% if description %}<p>{{ description|linebreaksbr }}</p>{% endif %}
{% if filters %}<ul>{% for line in filters %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
{% if error %}<p><strong>The query could not run this time:</strong> {{ error }}</p>{% endif %}
<p><a href="{{ url }}">Open in the CRM</a></p>""",
            """Dear {{ recipient }},

Attached is the result of the query {{ query }} ({{ period }}), with the data you may see:
{{ rows }} rows{% if truncated %} (the first {{ rows }}; open the CRM for the whole
result){% endif %}.
{% if description %}
{{ description }}
{% endif %}{% for line in filters %}
- {{ line }}{% endfor %}
{% if error %}
The query could not run this time: {{ error }}
{% endif %}
{{ url }}""",
        ),
    },
}


def ensure_templates(apps) -> None:
    """Creates the missing e-mail templates; an existing one stays as the admins made it."""
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for key, languages in TEMPLATES.items():
        for language, (subject, html, text) in languages.items():
            MessageTemplate.objects.get_or_create(
                key=key,
                language=language,
                channel="email",
                defaults={"subject": subject, "body_html": html, "body_text": text},
            )
