"""The full-text search inside files: the text search configuration ``hungarian_unaccent``
(Hungarian stemming after ``unaccent``), the documents' text rows with their GIN-indexed vector,
and the triggers that keep the vector (documents.text_models)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


CONFIGURATION = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hungarian_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION hungarian_unaccent (COPY = hungarian);
        ALTER TEXT SEARCH CONFIGURATION hungarian_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, hungarian_stem;
    END IF;
END $$;
"""

TRIGGERS = """
CREATE FUNCTION documents_text_vector(title text, description text, body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('hungarian_unaccent', coalesce(title, '')), 'A')
        || setweight(to_tsvector('hungarian_unaccent', coalesce(description, '')), 'B')
        || setweight(to_tsvector('hungarian_unaccent', coalesce(body, '')), 'D')
$$;

-- The vector of a text row, whenever its text is written.
CREATE FUNCTION documents_text_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT documents_text_vector(d.title, d.description, NEW.body) INTO NEW.vector
    FROM documents_document d WHERE d.id = NEW.document_id;
    RETURN NEW;
END $$;
CREATE TRIGGER documents_text_refresh BEFORE INSERT OR UPDATE OF body ON documents_documenttext
    FOR EACH ROW EXECUTE FUNCTION documents_text_refresh();

-- Every document has its text row from the start: found by its title before any file.
CREATE FUNCTION documents_text_create() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO documents_documenttext (document_id, body, updated_at)
    VALUES (NEW.id, '', now()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER documents_text_create AFTER INSERT ON documents_document
    FOR EACH ROW EXECUTE FUNCTION documents_text_create();

-- A new title or description: the vector again (bulk updates too).
CREATE FUNCTION documents_text_retitle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE documents_documenttext SET body = body WHERE document_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER documents_text_retitle AFTER UPDATE OF title, description ON documents_document
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title
                       OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION documents_text_retitle();

INSERT INTO documents_documenttext (document_id, body, updated_at)
SELECT id, '', now() FROM documents_document ON CONFLICT DO NOTHING;
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS documents_text_retitle ON documents_document;
DROP TRIGGER IF EXISTS documents_text_create ON documents_document;
DROP FUNCTION IF EXISTS documents_text_retitle();
DROP FUNCTION IF EXISTS documents_text_create();
DROP FUNCTION IF EXISTS documents_text_refresh() CASCADE;
DROP FUNCTION IF EXISTS documents_text_vector(text, text, text);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0002_defaults'),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentText',
            fields=[
                ('document', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='fulltext', serialize=False, to='documents.document', verbose_name='document')),
                ('body', models.TextField(blank=True, default='', verbose_name='text')),
                ('vector', django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated')),
                ('version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.documentversion', verbose_name='version')),
            ],
            options={
                'verbose_name': 'document text',
                'verbose_name_plural': 'document texts',
                'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['vector'], name='documents_text_vector')],
            },
        ),
        migrations.RunSQL(CONFIGURATION, migrations.RunSQL.noop),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
