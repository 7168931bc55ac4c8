"""The benchmarks' URLs (``bench/web_urls.py``) plus the query builder's engine alone behind a
signed-in page, for ``bench/queries.py``: ``/bench/query/<saved query id>/`` builds the saved
query as the user and shows its first page (or the page after ``?after=``) in the page shell,
without the builder's own templates. Beside the builder's real page (``/reports/run/?q=<id>``)
it shows what the engine costs by itself. Neither counts: the real page asks its capped count
in a request of its own once the rows are shown (``querybuilder:count``), so the count is not
part of the page's time here either (``?count=1`` adds it, to look at it alone)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.template import engines
from django.urls import path

from bench.web_urls import urlpatterns as web_urlpatterns

PAGE = """{% extends "base.html" %}{% block content %}
<h1>{{ title }}</h1><ul>{% for line in described %}<li>{{ line }}</li>{% endfor %}</ul>
<p>{{ count|default_if_none:"?" }}</p>
<table><thead><tr>{% for column in columns %}<th>{{ column.label }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for value in row %}<td>{{ value|default_if_none:"" }}</td>
{% endfor %}</tr>{% endfor %}</tbody></table>
{% if next %}<a rel="next" href="?after={{ next|urlencode }}">next</a>{% endif %}
{% endblock %}"""


@login_required
def query_page(request, pk: int):
    from crm.querybuilder.engine import QueryError, build
    from crm.querybuilder.models import SavedQuery

    saved = SavedQuery.objects.visible_to(request.user).filter(pk=pk).first()
    if saved is None:
        raise Http404
    try:
        built = build(saved.spec, request.user)
    except QueryError as err:
        raise Http404(str(err)) from None
    page = built.page(after=request.GET.get("after", ""))
    template = engines["django"].from_string(PAGE)
    context = {
        "title": saved.name,
        "described": built.describe(),
        "count": built.count() if request.GET.get("count") else None,
        "columns": built.columns,
        "rows": page.rows,
        "next": page.next,
    }
    from django.http import HttpResponse

    return HttpResponse(template.render(context, request))


urlpatterns = [*web_urlpatterns, path("bench/query/<int:pk>/", query_page)]
