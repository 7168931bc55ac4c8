"""The default activity types with the types that may follow them, the task names, and the
e-mails telling that a partner was taken from its owner, of a reminder, and of a task given.
Admins change all of them freely afterwards; ``ensure_defaults`` creates only what is missing
(the data migrations, and the demo loader after a test database was emptied)."""

# code, Hungarian, English, kind, has a result part, default reminder (minutes), function
TYPES = [
    ("call", "Hívás", "Call", "call", True, 10, None),
    ("meeting", "Találkozó", "Meeting", "meeting", True, 30, None),
    ("task", "Feladat", "Task", "task", True, None, None),
    ("letter", "Levél", "Letter", "letter", True, None, None),
    ("email", "E-mail", "E-mail", "email", True, None, None),
    ("reminder", "Emlékeztető", "Reminder", "reminder", False, 0, None),
    (
        "collection-call",
        "Behajtási hívás",
        "Collection call",
        "call",
        True,
        10,
        "use_collection_types",
    ),
]
FOLLOW_UPS = {
    "call": ["call", "meeting", "reminder", "task", "letter", "email"],
    "meeting": ["call", "meeting", "reminder", "task", "letter", "email"],
    "task": ["call", "meeting", "task", "reminder"],
    "letter": ["call", "letter", "reminder"],
    "email": ["call", "email", "meeting", "reminder"],
    "reminder": ["call", "meeting", "task", "email"],
    "collection-call": ["collection-call", "letter", "reminder"],
}
TASK_NAMES = [
    ("Árajánlat elküldése", "Send a quote"),
    ("Árlista elküldése", "Send the price list"),
    ("Szerződés ellenőrzése", "Check the contract"),
    ("Minta kiküldése", "Send a sample"),
    ("Visszahívás", "Call back"),
]

RELEASED = {
    "hu": (
        "{{ partner.name }} partner gazdát cserélt",
        """<p>Kedves {{ recipient }}!</p>
<p>A(z) <a href="{{ url }}">{{ partner.name }}</a> partnernek {{ days }} napja nincs tervezett
következő eseménye, ezért a rendszer elvette {{ previous_owner }} felhasználótól.
{% if new_owners %}Új felelőse: {{ new_owners|join:", " }}.{% else %}A partner a kiosztatlan
partnerek közé került.{% endif %}</p>""",
        """Kedves {{ recipient }}!

A(z) {{ partner.name }} partnernek {{ days }} napja nincs tervezett következő eseménye, ezért a
rendszer elvette {{ previous_owner }} felhasználótól.
{% if new_owners %}Új felelőse: {{ new_owners|join:", " }}.{% else %}A partner a kiosztatlan
partnerek közé került.{% endif %}

{{ url }}""",
    ),
    "en": (
        "Partner {{ partner.name }} has a new owner",
        """<p>Dear {{ recipient }},</p>
<p><a href="{{ url }}">{{ partner.name }}</a> has had no next event planned for {{ days }}
days, so the system took it from {{ previous_owner }}.
{% if new_owners %}Its new owner: {{ new_owners|join:", " }}.{% else %}It went back to the
unassigned partners.{% endif %}</p>""",
        """Dear {{ recipient }},

{{ partner.name }} has had no next event planned for {{ days }} days, so the system took it
from {{ previous_owner }}.
{% if new_owners %}Its new owner: {{ new_owners|join:", " }}.{% else %}It went back to the
unassigned partners.{% endif %}

{{ url }}""",
    ),
}

# The reminder's partner line, before and since internal tasks (no partner): data migration 0007
# mends the seeded templates that still have the old line.
PARTNER_LINE_BEFORE = (
    "Partner: {{ activity.partner.name }}{% if contact %}, {{ contact }}{% endif %}\n"
)
PARTNER_LINE = "{% if activity.partner %}" + PARTNER_LINE_BEFORE + "{% endif %}"

REMINDER = {
    "hu": (
        "Emlékeztető: {{ activity.subject }} – {{ start|date:'Y. m. d. H:i' }}",
        """<p>{{ activity.type.name }}: <strong>{{ activity.subject }}</strong></p>
<p>Időpont: {{ start|date:"Y. m. d. H:i" }}<br>
"""
        + PARTNER_LINE
        + """{% if place %}<br>Helyszín: {{ place }}
(<a href="{{ waze }}">útvonal Waze-zel</a>){% endif %}</p>
{% if activity.description %}<p>{{ activity.description|linebreaksbr }}</p>{% endif %}
<p><a href="{{ url }}">Megnyitás a CRM-ben</a></p>""",
        """{{ activity.type.name }}: {{ activity.subject }}
Időpont: {{ start|date:"Y. m. d. H:i" }}
"""
        + PARTNER_LINE
        + """{% if place %}Helyszín: {{ place }}
Waze: {{ waze }}
{% endif %}{% if activity.description %}
{{ activity.description }}
{% endif %}
{{ url }}""",
    ),
    "en": (
        "Reminder: {{ activity.subject }} – {{ start|date:'Y-m-d H:i' }}",
        """<p>{{ activity.type.name }}: <strong>{{ activity.subject }}</strong></p>
<p>When: {{ start|date:"Y-m-d H:i" }}<br>
"""
        + PARTNER_LINE
        + """{% if place %}<br>Place: {{ place }}
(<a href="{{ waze }}">directions with Waze</a>){% endif %}</p>
{% if activity.description %}<p>{{ activity.description|linebreaksbr }}</p>{% endif %}
<p><a href="{{ url }}">Open in the CRM</a></p>""",
        """{{ activity.type.name }}: {{ activity.subject }}
When: {{ start|date:"Y-m-d H:i" }}
"""
        + PARTNER_LINE
        + """{% if place %}Place: {{ place }}
Waze: {{ waze }}
{% endif %}{% if activity.description %}
{{ activity.description }}
{% endif %}
{{ url }}""",
    ),
}
# To a task's handler when somebody else gives them the task (activities.assignment).
TASK_ASSIGNED = {
    "hu": (
        "Új feladat: {{ activity.subject }}",
        """<p>Kedves {{ recipient }}!</p>
<p>{{ assigned_by }} feladatot adott Önnek: <strong>{{ activity.subject }}</strong></p>
<p>{% if partner %}Partner: {{ partner }}<br>
{% else %}Belső feladat, partner nélkül.<br>{% endif %}
Kezdés: {{ start|date:"Y. m. d. H:i" }}{% if activity.deadline %}<br>
Határidő: {{ activity.deadline|date:"Y. m. d." }}{% endif %}</p>
{% if activity.description %}<p>{{ activity.description|linebreaksbr }}</p>{% endif %}
<p><a href="{{ url }}">Megnyitás a CRM-ben</a></p>""",
        """Kedves {{ recipient }}!

{{ assigned_by }} feladatot adott Önnek: {{ activity.subject }}
{% if partner %}Partner: {{ partner }}{% else %}Belső feladat, partner nélkül.{% endif %}
Kezdés: {{ start|date:"Y. m. d. H:i" }}{% if activity.deadline %}
Határidő: {{ activity.deadline|date:"Y. m. d." }}{% endif %}
{% if activity.description %}
{{ activity.description }}
{% endif %}
{{ url }}""",
    ),
    "en": (
        "New task: {{ activity.subject }}",
        """<p>Dear {{ recipient }},</p>
<p>{{ assigned_by }} gave you a task: <strong>{{ activity.subject }}</strong></p>
<p>{% if partner %}Partner: {{ partner }}<br>
{% else %}An internal task, without a partner.<br>{% endif %}
Start: {{ start|date:"Y-m-d H:i" }}{% if activity.deadline %}<br>
Deadline: {{ activity.deadline|date:"Y-m-d" }}{% endif %}</p>
{% if activity.description %}<p>{{ activity.description|linebreaksbr }}</p>{% endif %}
<p><a href="{{ url }}">Open in the CRM</a></p>""",
        """Dear {{ recipient }},

{{ assigned_by }} gave you a task: {{ activity.subject }}
{% if partner %}Partner: {{ partner }}{% else %}An internal task, without a partner.{% endif %}
Start: {{ start|date:"Y-m-d H:i" }}{% if activity.deadline %}
Deadline: {{ activity.deadline|date:"Y-m-d" }}{% endif %}
{% if activity.description %}
{{ activity.description }}
{% endif %}
{{ url }}""",
    ),
}


def mend_reminder_templates(apps) -> None:
    """The seeded reminder e-mails' partner line made conditional (an internal task has no
    partner); a body whose line an admin rewrote, or that is mended already, stays."""

    def mended(body: str) -> str:
        return body if PARTNER_LINE in body else body.replace(PARTNER_LINE_BEFORE, PARTNER_LINE)

    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for template in MessageTemplate.objects.filter(key="activities-reminder"):
        html, text = mended(template.body_html), mended(template.body_text)
        if (html, text) != (template.body_html, template.body_text):
            template.body_html, template.body_text = html, text
            template.save(update_fields=["body_html", "body_text"])


TEMPLATES = {
    "activities-partner-released": RELEASED,
    "activities-reminder": REMINDER,
    "activities-task-assigned": TASK_ASSIGNED,
}


def ensure_templates(apps, keys=None) -> None:
    """Creates the missing e-mail templates (``keys``: only these)."""
    MessageTemplate = apps.get_model("crm", "MessageTemplate")
    for key, languages in TEMPLATES.items():
        if keys is not None and key not in keys:
            continue
        for language, (subject, html, text) in languages.items():
            MessageTemplate.objects.get_or_create(
                key=key,
                language=language,
                channel="email",
                defaults={"subject": subject, "body_html": html, "body_text": text},
            )


def ensure_defaults(apps) -> None:
    ActivityType = apps.get_model("activities", "ActivityType")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    made, new = {}, set()
    for order, (code, hu, en, kind, has_result, reminder, function) in enumerate(TYPES):
        permission = None
        if function:
            content_type, _ = ContentType.objects.get_or_create(
                app_label="activities", model="activity"
            )
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=function,
                defaults={"name": "Use collection activity types"},
            )
        made[code], created = ActivityType.objects.get_or_create(
            code=code,
            defaults={
                "name_hu": hu,
                "name_en": en,
                "kind": kind,
                "has_result": has_result,
                "default_reminder_minutes": reminder,
                "function": permission,
                "order": order * 10,
            },
        )
        if created:
            new.add(code)
    for code, followers in FOLLOW_UPS.items():
        if code in new:  # an admin's later changes to an existing type stay
            made[code].follow_ups.add(*(made[f] for f in followers))
    TaskName = apps.get_model("activities", "TaskName")
    for order, (hu, en) in enumerate(TASK_NAMES):
        TaskName.objects.get_or_create(name_hu=hu, defaults={"name_en": en, "order": order * 10})
    ensure_templates(apps)
