"""``{% load i18n %}`` loads crm.templatetags.crm_i18n: Django's library whose constant
``translate`` tags keep their text per language. It must draw what Django's draws."""

import pytest
from django.template import Context, Engine, Template
from django.test import override_settings
from django.utils import translation

from crm.templatetags.crm_i18n import ConstantTranslateNode

FORMS = [
    '{% translate "Partners" %}',
    "{% translate 'Today\\'s activities' %}",  # an apostrophe: escaped when autoescaping
    '{% translate "Today\'s activities" %}|{% autoescape off %}{% translate "Today\'s activities" %}{% endautoescape %}',  # noqa: E501
    '{% translate "A %(type)s cannot follow a %(previous)s." %}',  # percent signs
    '{% translate "Partners" noop %}',
    '{% translate "Partners" as label %}[{{ label }}]{{ label|upper }}',
    '{% translate "No such text <b>" %}',  # not in the catalogue: the text itself, escaped
    '{% translate "Partners"|upper %}',  # filters: Django's node
    '{% translate "Partners" context "menu" %}',  # a context: Django's node
    "{% translate word %}",  # a variable: Django's node
    "{% blocktranslate with name=who %}Good day, {{ name }}!{% endblocktranslate %}",
    "{% get_current_language as lang %}{{ lang }}",
]


def djangos(form: str) -> Template:
    return Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(
        "{% load i18n %}" + form
    )


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("language", ["hu", "en"])
def test_the_translate_tags_draw_what_djangos_draw(form, language):
    ours = Template("{% load i18n %}" + form)
    context = {"word": "Partners", "who": "<Kovács & Társa>"}
    with translation.override(language):
        expected = djangos(form).render(Context(context))
        assert ours.render(Context(context)) == expected
        assert ours.render(Context(context)) == expected  # the kept text
        unescaped = djangos(form).render(Context(context, autoescape=False))
        assert ours.render(Context(context, autoescape=False)) == unescaped
    with translation.override("hu" if language == "en" else "en"):  # kept per language
        assert ours.render(Context(context)) == djangos(form).render(Context(context))


def test_only_constant_texts_are_kept():
    nodes = {
        form: bool(
            Template("{% load i18n %}" + form).nodelist.get_nodes_by_type(ConstantTranslateNode)
        )
        for form in FORMS[:10]
    }
    assert [form for form, kept in nodes.items() if kept] == FORMS[:7]


def test_the_kept_texts_follow_the_translation_settings(tmp_path, settings):
    """Catalogues that change (LOCALE_PATHS here) change the kept texts, as Django forgets
    its catalogues then."""
    import polib

    from crm.i18n import compile_catalogues

    (tmp_path / "hu" / "LC_MESSAGES").mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Partners", msgstr="Üzletfelek"))
    po.save(str(tmp_path / "hu" / "LC_MESSAGES" / "django.po"))
    compile_catalogues(tmp_path)
    template = Template('{% load i18n %}{% translate "Partners" %}')
    with translation.override("hu"):
        assert template.render(Context()) == "Partnerek"
        with override_settings(LOCALE_PATHS=[tmp_path, *settings.LOCALE_PATHS]):
            translation.activate("hu")
            assert template.render(Context()) == "Üzletfelek"
        translation.activate("hu")
        assert template.render(Context()) == "Partnerek"


def test_no_other_template_library_name_is_taken_twice():
    """templates.W003 is silenced for the i18n library only in spirit: its check must find
    nothing else."""
    from django.template import engines

    warnings = engines["django"]._check_for_template_tags_with_the_same_name()
    assert [w.msg for w in warnings] == [
        "'i18n' is used for multiple template tag modules: "
        "'crm.templatetags.crm_i18n', 'django.templatetags.i18n'"
    ]
