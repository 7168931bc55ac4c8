"""Meeting observations at resellers (competitors' prices, our products' stock) and their
report by product, competitor, region and month, with an Excel export. Every row comes from
meetings the user sees (``Activity.objects.visible_to``)."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count, Max, Min, Sum
from django.db.models.functions import TruncMonth
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.forms import BootstrapMixin
from crm.scoping import get_visible_or_404
from crm.spreadsheets import xlsx
from partners.models import County

from .models import Activity, Kind, Observation, ObservationKind
from .services import may_change

REPORT_LIMIT = 1000


class ObservationForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Observation
        fields = ["kind", "product", "competitor", "price", "quantity", "note"]
        widgets = {
            "price": forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
            "quantity": forms.NumberInput(attrs={"min": 0, "step": 1}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


def _meeting_for_change(request, pk: int) -> Activity:
    activity = get_visible_or_404(Activity.objects.with_related(), request.user, pk=pk)
    if activity.kind != Kind.MEETING or not may_change(request.user, activity):
        raise PermissionDenied
    return activity


@login_required
@require_POST
def add(request, pk: int):
    activity = _meeting_for_change(request, pk)
    form = ObservationForm(request.POST)
    if form.is_valid():
        observation = form.save(commit=False)
        observation.activity = activity
        observation.created_by = request.user
        try:
            observation.full_clean()
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            observation.save()
            messages.success(request, _("Observation saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    return redirect(reverse("activities:detail", args=[pk]) + "#observations")


@login_required
@require_POST
def delete(request, pk: int, observation_pk: int):
    activity = _meeting_for_change(request, pk)
    get_object_or_404(Observation, pk=observation_pk, activity=activity).delete()
    messages.success(request, _("Observation deleted."))
    return redirect(reverse("activities:detail", args=[pk]) + "#observations")


class ReportForm(BootstrapMixin, forms.Form):
    product = forms.CharField(label=gettext_lazy("Product"), required=False, max_length=200)
    competitor = forms.CharField(label=gettext_lazy("Competitor"), required=False, max_length=200)
    county = forms.ChoiceField(
        label=gettext_lazy("Region"),
        required=False,
        choices=[("", gettext_lazy("Every county")), *County.choices],
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["until"] < cleaned["since"]:
            raise ValidationError(_("The end of the period is before its start."))
        return cleaned


def report_rows(user, filters: dict) -> list[dict]:
    """Observations grouped by kind, product, competitor, county and month of the meeting:
    count, lowest, average and highest price, and the stock seen in all."""
    meetings = Activity.objects.visible_to(user).filter(kind=Kind.MEETING)
    if filters.get("county"):
        meetings = meetings.filter(partner__county=filters["county"])
    if filters.get("since"):
        meetings = meetings.filter(starts_at__date__gte=filters["since"])
    if filters.get("until"):
        meetings = meetings.filter(starts_at__date__lte=filters["until"])
    rows = Observation.objects.filter(activity__in=meetings.values("pk"))
    if filters.get("product"):
        rows = rows.filter(product__icontains=filters["product"])
    if filters.get("competitor"):
        rows = rows.filter(competitor__icontains=filters["competitor"])
    counties = dict(County.choices)
    grouped = (
        rows.values(
            "kind",
            "product",
            "competitor",
            "activity__partner__county",
            month=TruncMonth("activity__starts_at", tzinfo=timezone.get_current_timezone()),
        )
        .annotate(
            seen=Count("pk"),
            lowest=Min("price"),
            average=Avg("price"),
            highest=Max("price"),
            stock=Sum("quantity"),
        )
        .order_by("product", "kind", "competitor", "activity__partner__county", "month")
    )[:REPORT_LIMIT]
    return [
        {
            **row,
            "kind_label": ObservationKind(row["kind"]).label,
            "region": counties.get(row["activity__partner__county"], ""),
            "month": timezone.localtime(row["month"]).date() if row["month"] else None,
        }
        for row in grouped
    ]


@login_required
def report(request):
    if not request.user.has_perm("activities.view_activity"):
        raise PermissionDenied
    form = ReportForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = report_rows(request.user, filters)
    if request.GET.get("format") == "xlsx":
        return _excel(rows)
    query = request.GET.copy()
    query["format"] = "xlsx"
    return render(
        request,
        "activities/observations.html",
        {
            "form": form,
            "rows": rows,
            "capped": len(rows) >= REPORT_LIMIT,
            "export_url": "?" + query.urlencode(),
        },
    )


def _excel(rows: list[dict]) -> HttpResponse:
    header = [
        _("Product"),
        _("Kind"),
        _("Competitor"),
        _("Region"),
        _("Month"),
        _("Observations"),
        _("Lowest price"),
        _("Average price"),
        _("Highest price"),
        _("Stock seen"),
    ]
    body = xlsx(
        _("Observations"),
        header,
        (
            [
                r["product"],
                str(r["kind_label"]),
                r["competitor"],
                str(r["region"]),
                r["month"].strftime("%Y-%m") if r["month"] else "",
                r["seen"],
                r["lowest"],
                round(r["average"], 2) if r["average"] is not None else None,
                r["highest"],
                r["stock"],
            ]
            for r in rows
        ),
    )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    day = datetime.date.today().isoformat()  # noqa: DTZ011 - a file name
    response["Content-Disposition"] = f'attachment; filename="observations-{day}.xlsx"'
    return response
