"""The document search reads every text twice (documents.text_models): accents removed, then
stemmed, and stemmed with its accents, then the accents removed from the stems. The Hungarian
stemmer knows many endings only by their accents (-ről, -ból, -től): kötbérről is ``kotberrol``
in the first reading and ``kotber``, like kötbért, in the second. The vectors are computed
again (the text rows' trigger, by writing each body to itself)."""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION documents_hu_vector(body text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT to_tsvector('hungarian_unaccent', body)
        || unaccent(to_tsvector('hungarian', body)::text)::tsvector
$$;

CREATE OR REPLACE FUNCTION documents_text_vector(title text, description text, body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(documents_hu_vector(coalesce(title, '')), 'A')
        || setweight(documents_hu_vector(coalesce(description, '')), 'B')
        || setweight(documents_hu_vector(coalesce(body, '')), 'D')
$$;

UPDATE documents_documenttext SET body = body;
"""

BACKWARDS = """
CREATE OR REPLACE FUNCTION documents_text_vector(title text, description text, body text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('hungarian_unaccent', coalesce(title, '')), 'A')
        || setweight(to_tsvector('hungarian_unaccent', coalesce(description, '')), 'B')
        || setweight(to_tsvector('hungarian_unaccent', coalesce(body, '')), 'D')
$$;
DROP FUNCTION IF EXISTS documents_hu_vector(text);
UPDATE documents_documenttext SET body = body;
"""


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_subscriptions")]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
