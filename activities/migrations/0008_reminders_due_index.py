# The reminder pop-ups of one user, however old: only those not dismissed, of open activities.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0007_task_handler_internal'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='activity',
            index=models.Index(condition=models.Q(('closed_at__isnull', True), ('remind_at__isnull', False), ('reminder_dismissed_at__isnull', True)), fields=['owner', 'remind_at'], name='activities_reminders_due'),
        ),
    ]
