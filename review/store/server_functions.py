"""SQLite's functions that Veil's SQL uses, defined on a PostgreSQL server with the same answers.

Why: the statements are written once (see :mod:`review.store.dialect`);
where SQLite has a function PostgreSQL lacks or spells differently, the
server gets one of the same name here, created by the first schema step
applied to it (:mod:`review.store.server_schema`), rather than every
statement being written twice. ``tests/review/test_server_dialect.py``
checks each against SQLite's answer on the same inputs.

Values come back as SQLite gives them where PostgreSQL's types allow it:
``json_extract`` answers text (a JSON string unquoted, ``true``/``false`` as
``1``/``0``, a number as written, an array or object as JSON text, JSON
``null`` or a missing key as NULL); a comparison with a number casts it
(``CAST(json_extract(…) AS INTEGER)``, the shared dialect's rule).
``json_valid`` answers a boolean (it is only ever used as a condition).
All but ``julianday`` are IMMUTABLE, so an index may be built on an
expression using them, and none writes anything. ``julianday`` (a time as a
Julian day number, for the milliseconds between two times) is STABLE, as
``'now'`` is a time to both; a date that does not exist (30 February) is
NULL here, where SQLite rolls it over into the next month.
"""

from __future__ import annotations

import re

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION veil_json_path(path text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN path = '$' THEN ARRAY[]::text[]
                ELSE string_to_array(substr(regexp_replace(path, '\[(\d+)\]', '.\1', 'g'), 3), '.') END
$$;

CREATE OR REPLACE FUNCTION veil_json_text(value jsonb) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'string' THEN value #>> '{}'
        WHEN 'boolean' THEN CASE WHEN value = 'true'::jsonb THEN '1' ELSE '0' END
        WHEN 'null' THEN NULL
        ELSE value::text END
$$;

CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT veil_json_text(doc::jsonb #> veil_json_path(path))
$$;

CREATE OR REPLACE FUNCTION json_type(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE jsonb_typeof(v)
        WHEN 'boolean' THEN v::text
        WHEN 'string' THEN 'text'
        WHEN 'number' THEN CASE WHEN v::text ~ '^-?\d+$' THEN 'integer' ELSE 'real' END
        ELSE jsonb_typeof(v) END
    FROM (SELECT doc::jsonb #> veil_json_path(path) AS v) AS found
$$;

CREATE OR REPLACE FUNCTION json_valid(doc text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    PERFORM CAST(doc AS json);  -- json, not jsonb: it keeps \u0000 as SQLite does (jsonb cannot hold it)
    RETURN true;
EXCEPTION WHEN others THEN
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION json_each(doc text) RETURNS TABLE (value text) LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT veil_json_text(e) FROM jsonb_array_elements(doc::jsonb) AS e
$$;

CREATE OR REPLACE FUNCTION veil_concat_step(acc text, value anyelement, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value::text ELSE acc || sep || value::text END
$$;

CREATE OR REPLACE AGGREGATE group_concat(anyelement, text) (SFUNC = veil_concat_step, STYPE = text);

CREATE OR REPLACE FUNCTION round(value double precision, digits integer) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT round(value::numeric, digits)::double precision
$$;

CREATE OR REPLACE FUNCTION veil_int(value text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN value ~ '^-?[0-9]{1,18}$' THEN CAST(value AS bigint) END
$$;

CREATE OR REPLACE FUNCTION julianday(value text) RETURNS double precision LANGUAGE plpgsql STABLE STRICT
SET TimeZone = 'UTC' AS $$
BEGIN
    RETURN extract(epoch FROM value::timestamptz) / 86400 + 2440587.5;  -- a time without an offset is UTC
EXCEPTION WHEN others THEN
    RETURN NULL;  -- not a time
END $$;

CREATE OR REPLACE FUNCTION veil_note_digest(note text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT encode(sha256(convert_to(note, 'UTF8')), 'hex')
$$;
"""

#: The names the functions above take on the server (a database holding one of its own is not Veil's to change).
FUNCTION_NAMES = frozenset(re.findall(r"CREATE OR REPLACE (?:FUNCTION|AGGREGATE) (\w+)", FUNCTIONS))
