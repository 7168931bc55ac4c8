"""``{% page_section %}`` draws a section (a partner page's tab, a contact page's section) inside
the page context: the same text as ``render_to_string(name, values, request)``."""

from django.template import Engine, RequestContext
from django.test import RequestFactory

CALLS = []


def processor(request):
    CALLS.append(request.path)
    return {"from_processor": "p", "shared_with_processor": "from the processor"}


SECTION = (
    "[{{ page_only }}][{{ shared }}][{{ mine }}][{{ shared_with_processor }}]"
    "[{{ from_processor }}][{{ request.path }}]"
    "[{% for x in items %}{{ x }}{% endfor %}]"
)


def engine() -> Engine:
    return Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "section.html": SECTION,
                    "page.html": "{% load crm_shell %}<{{ shared }}>"
                    "{% page_section section %}<{{ shared }}|{{ page_only }}>",
                },
            )
        ],
        context_processors=[
            "django.template.context_processors.request",
            "tests.crm.test_page_sections.processor",
        ],
        libraries={"crm_shell": "crm.templatetags.crm_shell"},
    )


def test_a_section_sees_what_it_would_see_alone_and_the_processors_run_once():
    request = RequestFactory().get("/partners/1/?tab=timeline")
    values = {
        "mine": "m",
        "shared": "the section",
        "shared_with_processor": "the section",
        "items": ["a", "<b>"],
    }
    templates = engine()
    alone = templates.get_template("section.html").render(RequestContext(request, values))
    assert alone == "[][the section][m][from the processor][p][/partners/1/][a&lt;b&gt;]"
    CALLS.clear()
    page = templates.get_template("page.html").render(
        RequestContext(
            request,
            {"section": ("section.html", values), "shared": "the page", "page_only": "x"},
        )
    )
    assert page == f"<the page>{alone}<the page|x>"
    assert CALLS == ["/partners/1/"]
