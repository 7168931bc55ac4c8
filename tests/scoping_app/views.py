from django.urls import reverse, reverse_lazy

from crm.scoped_views import (
    ScopedCreateView,
    ScopedDeleteView,
    ScopedDetailView,
    ScopedListView,
    ScopedUpdateView,
    VersionedForm,
)

from .models import Memo


class MemoForm(VersionedForm):
    class Meta:
        model = Memo
        fields = ["title", "body"]


class MemoList(ScopedListView):
    model = Memo
    template_name = "scoping_app/memo_list.html"


class MemoDetail(ScopedDetailView):
    model = Memo
    template_name = "scoping_app/memo_detail.html"


class MemoCreate(ScopedCreateView):
    model = Memo
    form_class = MemoForm
    template_name = "scoping_app/memo_form.html"

    def get_success_url(self):
        return reverse("memo-detail", args=[self.object.pk])


class MemoEdit(ScopedUpdateView):
    model = Memo
    form_class = MemoForm
    template_name = "scoping_app/memo_form.html"

    def get_success_url(self):
        return reverse("memo-detail", args=[self.object.pk])


class MemoDelete(ScopedDeleteView):
    model = Memo
    template_name = "scoping_app/memo_confirm_delete.html"
    success_url = reverse_lazy("memo-list")
