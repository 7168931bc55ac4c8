"""The whole list of the user's partners without a next event (the home panel shows the first
ten), with the day each is taken away unless a next step is planned."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from crm.scoping import current_company_id

from .discipline import partners_without_next_event

# Read in one index-driven statement; a rep with more idle partners than this has a bigger
# problem than paging, and is told how many are not shown.
PAGE_LIMIT = 500


@login_required
def no_next_event(request):
    company_id = current_company_id(request.user)
    partners, count = ([], 0)
    if company_id is not None:
        partners, count = partners_without_next_event(request.user, company_id, limit=PAGE_LIMIT)
    return render(
        request,
        "activities/no_next_event.html",
        {"partners": partners, "more": count > PAGE_LIMIT, "limit": PAGE_LIMIT},
    )
