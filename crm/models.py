from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff. Names are shown family name first, as Hungarians write them."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (one row per queue)."""

    queue = models.CharField(_("queue"), max_length=100, unique=True)
    beat_at = models.DateTimeField(_("last heartbeat"))
    hostname = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.queue}: {self.beat_at:%Y-%m-%d %H:%M:%S}"
