"""The import screens: upload, column mapping with preview, start, progress, result and report.

Only users with ``partners.import_partner`` import (403 otherwise); a job is seen only by the
user who uploaded it, or a superuser (404 for everybody else).
"""

import uuid
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import imports
from .models import ImportJob, ImportKind, ImportState
from .services import acting_company

FINISHED = (ImportState.DONE, ImportState.FAILED)
EDITABLE = (ImportState.UPLOADED, ImportState.MAPPED)


def _may_import(request) -> None:
    if not request.user.has_perm("partners.import_partner"):
        raise PermissionDenied


def _job_or_404(request, pk: int) -> ImportJob:
    """The job if the user uploaded it (or is a superuser); 404 for anybody else."""
    _may_import(request)
    jobs = ImportJob.objects.select_related("company")
    if not request.user.is_superuser:
        jobs = jobs.filter(created_by=request.user)
    return get_object_or_404(jobs, pk=pk)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=ImportKind.choices,
        initial=ImportKind.PARTNERS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or Windows-1250, separated by ; or ,) or XLSX; the first row names"
            " the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "form-control"}),
    )


@login_required
def upload(request):
    _may_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            fmt = imports.check_upload(uploaded)
            with imports.open_table(uploaded, fmt) as table:
                headers = table.headers
            company = acting_company(request.user)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            job = ImportJob(
                kind=kind,
                company=company,
                created_by=request.user,
                original_name=Path(uploaded.name).name[:255],
                headers=headers,
            )
            job.mapping, job.key, remembered = imports.suggest_mapping(
                kind, headers, user=request.user
            )
            uploaded.seek(0)
            # The stored name is ours: nothing of the user's file name reaches the path.
            job.file.save(f"{uuid.uuid4().hex}.{fmt}", uploaded, save=False)
            job.save()
            if remembered:
                messages.info(
                    request, _("The columns are mapped as the last time you imported them.")
                )
            return redirect("partners:import-mapping", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).order_by("-created_at")[:10]
    return render(request, "partners/import/upload.html", {"form": form, "jobs": jobs})


class MappingForm(forms.Form):
    """A field for every column of the file, and how existing records are found."""

    def __init__(self, job: ImportJob, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        choices = imports.field_choices(job.kind, job.headers)
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=job.mapping.get(header, ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.columns.append((header, name))
        self.fields["key"] = forms.ChoiceField(
            label=_("Find existing partners by")
            if job.kind == ImportKind.PARTNERS
            else _("Find the partner's existing contacts by"),
            choices=imports.key_choices(job.kind, job.headers),
            initial=job.key,
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )

    def column_fields(self):
        return [(header, self[name]) for header, name in self.columns]

    def clean(self):
        cleaned = super().clean()
        mapping = {header: cleaned.get(name) or "" for header, name in self.columns}
        try:
            self.mapping = imports.clean_mapping(
                self.job.kind, self.job.headers, mapping, cleaned.get("key") or ""
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return cleaned


def _save_mapping(request, job: ImportJob) -> MappingForm:
    """Validates and saves the posted mapping (remembered for the next file with the same
    header row); the form, with its errors if any."""
    form = MappingForm(job, request.POST)
    if form.is_valid():
        job.mapping = form.mapping
        job.key = form.cleaned_data["key"]
        job.state = ImportState.MAPPED
        job.save(update_fields=["mapping", "key", "state"])
        imports.remember_mapping(
            user=request.user, kind=job.kind, headers=job.headers, mapping=job.mapping, key=job.key
        )
    return form


@login_required
def mapping(request, pk: int):
    """The column mapping and the preview of the file under it."""
    job = _job_or_404(request, pk)
    if job.state not in EDITABLE:
        return redirect("partners:import-progress", pk=job.pk)
    if request.method == "POST":
        form = _save_mapping(request, job)
        if form.is_valid():
            return redirect("partners:import-mapping", pk=job.pk)
    else:
        form = MappingForm(job)
    return _mapping_page(request, job, form)


def _mapping_page(request, job, form, status: int = 200):
    preview, error = None, ""
    try:
        preview = imports.preview(job, user=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        if preview.total_rows != job.total_rows:
            job.total_rows = preview.total_rows
            job.save(update_fields=["total_rows"])
    ready = job.state == ImportState.MAPPED and not form.errors and not error
    return render(
        request,
        "partners/import/mapping.html",
        {
            "job": job,
            "form": form,
            "preview": preview,
            "preview_error": error,
            "ready": ready,
            "cap": imports.PREVIEW_ERROR_CAP,
            "nav_cap": imports.taxcheck.IMPORT_MAX_NUMBERS,
        },
        status=status,
    )


@login_required
@require_POST
def start(request, pk: int):
    """Saves the mapping posted with it and queues the import (Celery, after commit)."""
    job = _job_or_404(request, pk)
    if job.state not in EDITABLE:
        return redirect("partners:import-progress", pk=job.pk)
    if "key" in request.POST:
        form = _save_mapping(request, job)
        if not form.is_valid():
            return _mapping_page(request, job, form, status=400)
    try:
        imports.clean_mapping(job.kind, job.headers, job.mapping, job.key)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("partners:import-mapping", pk=job.pk)
    with transaction.atomic():
        if not imports.import_start(job=job, user=request.user, language=get_language()):
            messages.warning(request, _("This import has been started already."))
    return redirect("partners:import-progress", pk=job.pk)


def _progress_context(job: ImportJob) -> dict:
    total = job.total_rows
    if job.state in FINISHED:
        percent = 100
    elif total:
        percent = min(99, job.processed_rows * 100 // total)
    else:
        percent = 0
    return {"job": job, "percent": percent, "finished": job.state in FINISHED}


@login_required
def progress(request, pk: int):
    """The progress page; with HTMX, only its fragment, polled every second until done."""
    job = _job_or_404(request, pk)
    if job.state in EDITABLE:
        return redirect("partners:import-mapping", pk=job.pk)
    context = _progress_context(job)
    if request.htmx:
        return render(request, "partners/import/partials/progress.html", context)
    return render(request, "partners/import/progress.html", context)


@login_required
def result(request, pk: int):
    job = _job_or_404(request, pk)
    if job.state not in FINISHED:
        return redirect("partners:import-progress", pk=job.pk)
    return render(request, "partners/import/result.html", {"job": job})


@login_required
def report(request, pk: int):
    """The report CSV (UTF-8 with BOM, ``;``, formulas neutralised when it was written)."""
    job = _job_or_404(request, pk)
    if not job.report:
        raise Http404
    try:
        handle = job.report.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"import-{job.pk}-report.csv",
        content_type="text/csv; charset=utf-8",
    )
