"""Precompiled SQL for the chat turn, the product's hot path.

Django's ORM compiles every statement afresh, and on a reply that compiling costs more than
running the runner and the statements together. Here each statement is built once per process
and database from the models' own metadata (table and column names, Django's value
preparation and conversion), then only executed. Changing a model changes these statements
with it; nothing here names a column by hand.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.utils import timezone

_cache: dict[tuple, object] = {}


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model: type[Model], names: Sequence[str]):
    return [model._meta.get_field(name) for name in names]


class _Select:
    def __init__(
        self, connection, model: type[Model], names: Sequence[str], *, for_update: bool, flags: Mapping[str, str]
    ):
        # Model.from_db takes values in the model's field order, whatever order `names` has.
        wanted = {f.attname for f in _fields(model, names)}
        fields = [f for f in model._meta.concrete_fields if f.attname in wanted]
        self.model, self.names, self.alias = model, [f.attname for f in fields], connection.alias
        self.flags = list(flags)
        table = model._meta.db_table
        columns = ", ".join(
            [f"{_quote(connection, table)}.{_quote(connection, f.column)}" for f in fields] + list(flags.values())
        )
        pk = _quote(connection, model._meta.pk.column)
        self.sql = f"SELECT {columns} FROM {_quote(connection, table)} WHERE {pk} = %s"  # noqa: S608 (quoted model identifiers)
        # NO KEY UPDATE where there is one: it still queues writers of the row, but lets other
        # transactions insert rows that point at it (uploads during a turn).
        if for_update and connection.features.has_select_for_no_key_update:
            self.sql += " FOR NO KEY UPDATE"
        elif for_update and connection.features.has_select_for_update:
            self.sql += " FOR UPDATE"
        self.pk_field = model._meta.pk
        self.columns = [field.get_col(table) for field in fields]
        self.converters = [
            connection.ops.get_db_converters(column) + column.get_db_converters(connection) for column in self.columns
        ]

    def __call__(self, connection, pk):
        param = self.pk_field.get_db_prep_value(pk, connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [param])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row[: len(self.names)])
        for index, converters in enumerate(self.converters):
            for converter in converters:
                values[index] = converter(values[index], self.columns[index], connection)
        obj = self.model.from_db(self.alias, self.names, values)
        for name, value in zip(self.flags, row[len(self.names) :], strict=True):
            setattr(obj, name, bool(value))
        return obj


def select_one(
    model: type[Model],
    pk,
    names: Sequence[str],
    *,
    for_update: bool = False,
    flags: Callable[[str], Mapping[str, str]] | None = None,
    using: str = "default",
):
    """`model` row `pk` with only the fields `names` (or None), locked with `for_update` where
    the database has row locks (FOR NO KEY UPDATE, else FOR UPDATE).

    `flags(using)` gives boolean SQL expressions (no parameters) to read with the row, set on
    the instance under their names; it is called once per process, when the statement is
    built, so pass the same function every time."""
    connection = connections[using]
    key = ("select", connection.alias, model, tuple(names), for_update, flags)
    statement = _cache.get(key)
    if statement is None:
        statement = _cache[key] = _Select(
            connection, model, names, for_update=for_update, flags=flags(using) if flags else {}
        )
    return statement(connection, pk)


Statement = tuple[str, list]


def update_statement(obj: Model, names: Sequence[str], *, using: str = "default") -> Statement:
    """UPDATE of the row of `obj` with the current values of `names` (no signals, no auto_now)."""
    connection = connections[using]
    model = type(obj)
    key = ("update", connection.alias, model, tuple(names))
    cached = _cache.get(key)
    if cached is None:
        fields = _fields(model, names)
        assignments = ", ".join(f"{_quote(connection, f.column)} = %s" for f in fields)
        pk = _quote(connection, model._meta.pk.column)
        table = _quote(connection, model._meta.db_table)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (quoted model identifiers)
        cached = _cache[key] = (sql, fields)
    sql, fields = cached
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    params.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    return sql, params


_REQUIRED = object()


class _Insert:
    """One model's INSERT: its columns, how a missing value is filled, and how each value is
    prepared for the database."""

    def __init__(self, connection, model: type[Model], *, ignore_conflicts: bool):
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
        self.columns = [(f.attname, self._filler(f), f.get_db_prep_save) for f in fields]
        self.timestamped = any(filler == "now" for _, filler, _ in self.columns)
        names = ", ".join(_quote(connection, f.column) for f in fields)
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        tail = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None) if ignore_conflicts else ""
        table = _quote(connection, model._meta.db_table)
        self.head = f"{connection.ops.insert_statement(on_conflict=on_conflict)} {table} ({names}) VALUES "
        self.tail = f" {tail}" if tail else ""
        self.row = "(" + ", ".join(["%s"] * len(fields)) + ")"

    @staticmethod
    def _filler(field):
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return "now"
        if field.has_default():
            return field.get_default
        return None if field.null else _REQUIRED

    def __call__(self, connection, rows: Sequence[Mapping[str, Any]], now) -> Statement:
        if self.timestamped and now is None:
            now = timezone.now()
        params = []
        for row in rows:
            for attname, filler, prep in self.columns:
                value = row.get(attname, _REQUIRED)
                if value is _REQUIRED:
                    if filler is _REQUIRED:
                        raise ValueError(f"insert_rows: no value for {attname!r}")
                    value = now if filler == "now" else filler() if callable(filler) else filler
                params.append(prep(value, connection))
        return self.head + ", ".join([self.row] * len(rows)) + self.tail, params


def insert_rows(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    now=None,
    using: str = "default",
) -> Statement | None:
    """INSERT of `rows` (mappings of attname to value) in one statement; None when there are
    none. A missing value takes the field's default; auto_now(_add) fields take `now` (one
    timestamp for the whole statement). Primary keys of auto fields are not read back: the
    hot path never needs them, and it skips building model instances."""
    if not rows:
        return None
    connection = connections[using]
    key = ("insert", connection.alias, model, ignore_conflicts)
    statement = _cache.get(key)
    if statement is None:
        statement = _cache[key] = _Insert(connection, model, ignore_conflicts=ignore_conflicts)
    return statement(connection, rows, now)


def execute(statements: Iterable[Statement | None], *, using: str = "default") -> None:
    """Run write statements in order. On PostgreSQL they travel as one statement (data-modifying
    CTEs), one round trip instead of one each; SQLite runs in-process, so there it is a loop."""
    statements = [s for s in statements if s is not None]
    if not statements:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(statements) > 1:
            *first, last = statements
            sql = "WITH " + ", ".join(f"w{i} AS ({stmt})" for i, (stmt, _) in enumerate(first)) + " " + last[0]
            cursor.execute(sql, [param for _, params in statements for param in params])
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
