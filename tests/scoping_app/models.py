import pghistory
from django.db import models

from crm.scoping import ScopedModel


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Memo(ScopedModel):
    title = models.CharField("title", max_length=200)
    body = models.TextField("body", blank=True)

    class Meta(ScopedModel.Meta):
        pass

    def __str__(self) -> str:
        return self.title
