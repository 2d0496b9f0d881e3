"""Plain SQL statements over the models' tables: the one way the hot paths write them.

Why plain statements at all: on the transfer signing path (issue 13) building an ORM query
cost more CPU than running it, so the statements every signed transfer runs are written as
text. They stay tied to the models: table and column names come from ``Model._meta`` (a
renamed column changes the statement, never breaks it silently), and every value is a bound
parameter (``%s``), never formatted into the text. Three pieces, each cached, so a request
pays a dictionary look-up, never the building:

``sql(template, **parts)`` — the statement's text, built once per template. A template is a
constant ``str.format`` string (never one holding input: values go in the parameters); each
part is a model, a :class:`Columns` set, or a ``str`` naming a constant identifier such as a
``WITH`` query (quoted). For a model part ``g``:

- ``{g}`` — its quoted table name;
- ``{g.used_at}`` — the quoted column of the field ``used_at`` (a name or attname; ``{g.pk}``
  the primary key's);
- ``{g.columns}`` — every concrete column, in field order, comma-separated; ``{g.columns:a}``
  the same prefixed by the SQL alias ``a`` (``a."id", a."number", …``). (A field named
  ``columns`` would be hidden by it: none is.)

An unknown field name fails when the text is built (``FieldDoesNotExist``), on the first use.

``insert_columns(Model, exclude=())`` — the columns an INSERT writes (every concrete field but
an auto primary key, less ``exclude``): ``{c}`` formats as the column list, ``{c.values}`` as
its ``%s`` placeholders, ``{c.typed}`` as typed ones (``%s::integer``: needed in an
``INSERT … SELECT``, where an untyped parameter or NULL would be read as text), and
``c.params(obj)`` gives the values ``Model.objects.create`` would write for the unsaved
instance ``obj`` (each field's ``pre_save``: ``auto_now_add`` and the like, then its database
preparation; defaults are already on the instance).

``Columns.instance(row)`` / ``Columns.instances(rows)`` — model instances from the rows of a
``SELECT {g.columns}``, as the ORM builds them: ``Model.from_db`` after each field's converters
(the backend's and the field's ``from_db_value``, e.g. a JSONField's decoding), so nothing read
this way differs from a queryset's result; ``Columns.read(statement, params)`` runs the
statement and does that. ``len(columns)`` slices a row holding several models' columns.

Example::

    _CONSUME_SQL = "UPDATE {g} SET {g.used_at} = %s WHERE {g.id} = %s AND {g.used_at} IS NULL"

    cursor.execute(sql(_CONSUME_SQL, g=SignatureGrant), [now, grant_id])

A template is a plain string constant, formatted here on data from ``_meta`` only: bandit
(B608) and ruff (S608) flag SQL text built in place, so a caller needs ``# nosec`` /
``noqa: S608`` only where it still composes text itself (a data-modifying ``WITH`` around
another service's statement, a template built from another).

The names are quoted by the default connection's backend (PostgreSQL, the project's only one).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, models
from django.utils.functional import cached_property

__all__ = ["Columns", "Names", "insert_columns", "names", "sql"]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


class Columns:
    """An ordered set of a model's concrete fields: a SELECT list or an INSERT's columns."""

    def __init__(self, model: type[models.Model], fields: Sequence[models.Field]) -> None:
        self.model = model
        self.fields = tuple(fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __format__(self, alias: str) -> str:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + _quote(f.column) for f in self.fields)

    @property
    def values(self) -> str:
        return ", ".join(["%s"] * len(self.fields))

    @property
    def typed(self) -> str:
        return ", ".join(f"%s::{f.cast_db_type(connection)}" for f in self.fields)

    def params(self, obj: models.Model) -> list[Any]:
        """What ``create`` writes for these columns of the unsaved ``obj``."""
        return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]

    @cached_property
    def _reading(self) -> tuple[list[str], list[tuple[int, list, Any]]]:
        attnames = [f.attname for f in self.fields]
        converters = []
        for i, f in enumerate(self.fields):
            col = f.cached_col
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((i, found, col))
        return attnames, converters

    def instance(self, row: Sequence[Any]) -> models.Model:
        """The model instance of one row of these columns (see the module docstring)."""
        attnames, converters = self._reading
        if converters:
            row = list(row)
            for i, functions, col in converters:
                for convert in functions:
                    row[i] = convert(row[i], col, connection)
        # ``connection`` is the default database's (its alias read through the proxy costs
        # more than building the instance).
        return self.model.from_db(DEFAULT_DB_ALIAS, attnames, row)

    def instances(self, rows: Iterable[Sequence[Any]]) -> list[models.Model]:
        return [self.instance(row) for row in rows]

    def read(self, statement: str, params: Sequence[Any]) -> list[models.Model]:
        """Run ``statement`` (its SELECT list: these columns) and build its rows' instances."""
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return self.instances(cursor.fetchall())


class Names:
    """A model's quoted names for a template (see the module docstring)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.columns = Columns(model, model._meta.concrete_fields)

    def __format__(self, spec: str) -> str:
        return _quote(self.model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        meta = self.model._meta
        field = meta.pk if name == "pk" else meta.get_field(name)
        return _quote(field.column)


@functools.cache
def names(model: type[models.Model]) -> Names:
    """The (cached) :class:`Names` of ``model``."""
    return Names(model)


@functools.cache
def insert_columns(model: type[models.Model], exclude: tuple[str, ...] = ()) -> Columns:
    """The columns an INSERT of ``model`` writes: its concrete fields but an auto-generated
    primary key (a key the instance carries, such as a UUID, is written) and ``exclude``."""
    return Columns(
        model,
        [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField)) and f.name not in exclude
        ],
    )


def _part(value: Any) -> Any:
    if isinstance(value, type) and issubclass(value, models.Model):
        return names(value)
    if isinstance(value, str):
        return _quote(value)  # an identifier: a WITH query's or a subquery's name
    return value


@functools.cache
def sql(template: str, **parts: Any) -> str:
    """``template`` formatted with ``parts`` (models, :class:`Columns`, constant identifiers);
    built once per template and parts (see the module docstring)."""
    return template.format(**{key: _part(value) for key, value in parts.items()})
