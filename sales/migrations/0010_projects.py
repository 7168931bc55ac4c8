"""Projects (issue 25, item 4): the project, its planned products, its opportunities and
activities; and the project functions of the default permission groups (``sales/projects.py``)."""

import django.core.validators
import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from crm.groups import grant


# As ``sales.projects.PROJECT_GRANTS`` said when this migration was written.
_PROJECT = [f"sales.{a}_project" for a in ("view", "add", "change")]
PROJECT_GRANTS = {
    "sales_rep": _PROJECT,
    "sales_manager": _PROJECT,
    "finance": ["sales.view_project"],
    "administrator": [f"sales.{a}_project" for a in ("view", "add", "change", "delete")],
}


def grant_projects(apps, schema_editor):
    grant(apps, schema_editor, PROJECT_GRANTS)


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0010_company_start_with_partner'),
        ('crm', '0009_visibility_sort_key'),
        ('partners', '0013_query_builder_grants'),
        ('pghistory', '0007_auto_20250421_0444'),
        ('sales', '0009_invoices'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Project',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('start_on', models.DateField(blank=True, null=True, verbose_name='start')),
                ('end_on', models.DateField(blank=True, null=True, verbose_name='end')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('running', 'Running'), ('on_hold', 'On hold'), ('done', 'Completed'), ('cancelled', 'Cancelled')], default='planned', max_length=9, verbose_name='status')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('company', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.company', verbose_name='company')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('partner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='projects', to='partners.partner', verbose_name='partner')),
            ],
            options={
                'verbose_name': 'project',
                'verbose_name_plural': 'projects',
                'permissions': [('view_all_project', 'See every project of the company')],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ProjectActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('linked_at', models.DateTimeField(auto_now_add=True)),
                ('activity', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='activities.activity', verbose_name='activity')),
                ('linked_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='activity_links', to='sales.project')),
            ],
            options={
                'verbose_name': 'project activity',
                'verbose_name_plural': 'project activities',
                'ordering': ['-pk'],
            },
        ),
        migrations.CreateModel(
            name='ProjectEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('id', models.BigIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('version', models.PositiveIntegerField(default=1, editable=False, verbose_name='version')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('start_on', models.DateField(blank=True, null=True, verbose_name='start')),
                ('end_on', models.DateField(blank=True, null=True, verbose_name='end')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('running', 'Running'), ('on_hold', 'On hold'), ('done', 'Completed'), ('cancelled', 'Cancelled')], default='planned', max_length=9, verbose_name='status')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('company', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='crm.company', verbose_name='company')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('partner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='partners.partner', verbose_name='partner')),
                ('pgh_context', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='events', to='sales.project')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ProjectOpportunity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('linked_at', models.DateTimeField(auto_now_add=True)),
                ('linked_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opportunity', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='project_link', to='sales.opportunity', verbose_name='opportunity')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='opportunity_links', to='sales.project')),
            ],
            options={
                'verbose_name': 'project opportunity',
                'verbose_name_plural': 'project opportunities',
                'ordering': ['-pk'],
            },
        ),
        migrations.CreateModel(
            name='ProjectProduct',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('planned', models.DecimalField(decimal_places=3, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0.001'))], verbose_name='planned quantity')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                ('product', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.product', verbose_name='product')),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='products', to='sales.project')),
            ],
            options={
                'verbose_name': 'project product',
                'verbose_name_plural': 'project products',
                'ordering': ['pk'],
            },
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(fields=['company', 'owner', '-id'], name='sales_project_own'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(fields=['company', '-id'], name='sales_project_co'),
        ),
        migrations.AddIndex(
            model_name='project',
            index=models.Index(fields=['partner', 'company', '-id'], name='sales_project_partner'),
        ),
        migrations.AddConstraint(
            model_name='project',
            constraint=models.CheckConstraint(condition=models.Q(('end_on__isnull', True), ('start_on__isnull', True), ('end_on__gte', models.F('start_on')), _connector='OR'), name='sales_project_end_after_start', violation_error_message='A project cannot end before it starts.'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='visibility_ins', sql=pgtrigger.compiler.UpsertTriggerSql(func='\n            INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)\n            SELECT p.viewer_id, TG_RELID::bigint, n.company_id, n.id, n.owner_id\n            FROM new_rows n JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT owner_id FROM new_rows)) p ON p.owner_id = n.owner_id\n            ON CONFLICT DO NOTHING;\n            RETURN NULL;\n        ', hash='197e1823168212da5d2079af073dba4d139f059e', level='STATEMENT', operation='INSERT', pgid='pgtrigger_visibility_ins_e0fa1', referencing='REFERENCING NEW TABLE AS new_rows ', table='sales_project', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='visibility_upd', sql=pgtrigger.compiler.UpsertTriggerSql(func='\n            DELETE FROM crm_visibility v\n            USING old_rows o JOIN new_rows n ON n.id = o.id\n            WHERE v.tab = TG_RELID::bigint AND v.record_id = o.id AND (n.owner_id IS DISTINCT FROM o.owner_id OR n.company_id IS DISTINCT FROM o.company_id);\n            INSERT INTO crm_visibility (viewer_id, tab, company_id, record_id, owner_id)\n            SELECT p.viewer_id, TG_RELID::bigint, n.company_id, n.id, n.owner_id\n            FROM new_rows n JOIN old_rows o ON o.id = n.id AND (n.owner_id IS DISTINCT FROM o.owner_id OR n.company_id IS DISTINCT FROM o.company_id)\n            JOIN crm_viewer_pairs(ARRAY(SELECT DISTINCT owner_id FROM new_rows)) p ON p.owner_id = n.owner_id\n            ON CONFLICT DO NOTHING;\n            RETURN NULL;\n        ', hash='b1e159ef30320344dce91d230a070caa97fe52c9', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_visibility_upd_c946e', referencing='REFERENCING OLD TABLE AS old_rows  NEW TABLE AS new_rows ', table='sales_project', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='visibility_del', sql=pgtrigger.compiler.UpsertTriggerSql(func='\n            DELETE FROM crm_visibility v USING old_rows o\n            WHERE v.tab = TG_RELID::bigint AND v.record_id = o.id;\n            RETURN NULL;\n        ', hash='0da58a6832c0d94da630c52d004b2d72de87b490', level='STATEMENT', operation='DELETE', pgid='pgtrigger_visibility_del_0bce5', referencing='REFERENCING OLD TABLE AS old_rows ', table='sales_project', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "sales_projectevent" ("company_id", "created_at", "created_by_id", "description", "end_on", "id", "name", "owner_id", "partner_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "start_on", "status", "version") VALUES (NEW."company_id", NEW."created_at", NEW."created_by_id", NEW."description", NEW."end_on", NEW."id", NEW."name", NEW."owner_id", NEW."partner_id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."start_on", NEW."status", NEW."version"); RETURN NULL;', hash='578783ed02fb11a193d860782259b28d14c5bba1', operation='INSERT', pgid='pgtrigger_insert_insert_99b7d', table='sales_project', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."company_id" IS DISTINCT FROM (NEW."company_id") OR OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."created_by_id" IS DISTINCT FROM (NEW."created_by_id") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."end_on" IS DISTINCT FROM (NEW."end_on") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."owner_id" IS DISTINCT FROM (NEW."owner_id") OR OLD."partner_id" IS DISTINCT FROM (NEW."partner_id") OR OLD."start_on" IS DISTINCT FROM (NEW."start_on") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."version" IS DISTINCT FROM (NEW."version"))', func='INSERT INTO "sales_projectevent" ("company_id", "created_at", "created_by_id", "description", "end_on", "id", "name", "owner_id", "partner_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "start_on", "status", "version") VALUES (NEW."company_id", NEW."created_at", NEW."created_by_id", NEW."description", NEW."end_on", NEW."id", NEW."name", NEW."owner_id", NEW."partner_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."start_on", NEW."status", NEW."version"); RETURN NULL;', hash='8719f7a72c769df821024705d86fdb7d61cf1022', operation='UPDATE', pgid='pgtrigger_update_update_6864c', table='sales_project', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='project',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "sales_projectevent" ("company_id", "created_at", "created_by_id", "description", "end_on", "id", "name", "owner_id", "partner_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "start_on", "status", "version") VALUES (OLD."company_id", OLD."created_at", OLD."created_by_id", OLD."description", OLD."end_on", OLD."id", OLD."name", OLD."owner_id", OLD."partner_id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."start_on", OLD."status", OLD."version"); RETURN NULL;', hash='770254b055e67b81bce50921a0ac4738289ed9ca', operation='DELETE', pgid='pgtrigger_delete_delete_eb8a3', table='sales_project', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='projectactivity',
            index=models.Index(fields=['activity'], name='sales_projectactivity_act'),
        ),
        migrations.AddConstraint(
            model_name='projectactivity',
            constraint=models.UniqueConstraint(fields=('project', 'activity'), name='sales_projectactivity_unique'),
        ),
        migrations.AddConstraint(
            model_name='projectproduct',
            constraint=models.UniqueConstraint(fields=('project', 'product'), name='sales_projectproduct_unique', violation_error_message='The product is already on the project.'),
        ),
        migrations.AddConstraint(
            model_name='projectproduct',
            constraint=models.CheckConstraint(condition=models.Q(('planned__gt', 0)), name='sales_projectproduct_planned'),
        ),
        migrations.RunPython(grant_projects, migrations.RunPython.noop),
    ]
