"""Precompiled SQL for the chat turn, the product's hot path.

Django's ORM compiles every statement afresh, and on a reply that compiling costs more than
running the runner and the statements together. Here each statement is built once per process
and database from the models' own metadata (table and column names, Django's value
preparation and conversion), then only executed. Changing a model changes these statements
with it; nothing here names a column by hand.

A turn is stored with `execute`: its writes (`Write`) in one round trip on PostgreSQL (one
statement of data-modifying CTEs, committed on its own) or one short write transaction on
SQLite, optionally guarded by a compare-and-swap UPDATE (`swap`) so that they happen only if
that UPDATE matched its row.

What earns it its place: `make bench` (one reply's statements and round trips, replies per
second); what keeps it honest: tests/executions/test_hotpath_matches_orm.py, which runs the
same conversation through these statements and through the ORM and compares every row, on
SQLite and PostgreSQL.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.db.models import Model, QuerySet
from django.db.models.constants import OnConflict
from django.db.models.sql import UpdateQuery
from django.utils import timezone

_cache: dict[tuple, object] = {}
# The name of the compare-and-swap UPDATE in a PostgreSQL statement; guarded writes check it.
_GUARD = "turn_swap"


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model: type[Model], names: Sequence[str]):
    return [model._meta.get_field(name) for name in names]


@dataclass(frozen=True, slots=True)
class Write:
    """One write of a turn: `sql` runs it unconditionally; `guarded_sql` (same parameters) runs
    it only if the statement's compare-and-swap UPDATE matched (PostgreSQL CTE form)."""

    sql: str
    params: list
    guarded_sql: str


class _Select:
    def __init__(self, connection, model: type[Model], names: Sequence[str], *, flags: Mapping[str, str]):
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
    flags: Callable[[str], Mapping[str, str]] | None = None,
    using: str = "default",
):
    """`model` row `pk` with only the fields `names` (or None). No lock is taken.

    `flags(using)` gives boolean SQL expressions (no parameters) to read with the row, set on
    the instance under their names; it is called once per process, when the statement is
    built, so pass the same function every time."""
    connection = connections[using]
    key = ("select", connection.alias, model, tuple(names), flags)
    statement = _cache.get(key)
    if statement is None:
        statement = _cache[key] = _Select(connection, model, names, flags=flags(using) if flags else {})
    return statement(connection, pk)


Statement = tuple[str, list]


def swap_statement(obj: Model, names: Sequence[str], *, counter: str, using: str = "default") -> Statement:
    """The compare-and-swap UPDATE of `obj`'s row: sets the current values of `names` and
    increments `counter` (an integer field), if the row's `counter` still holds the value `obj`
    was read with (the attribute's value, before any increment). No signals, no auto_now."""
    connection = connections[using]
    model = type(obj)
    key = ("swap", connection.alias, model, tuple(names), counter)
    cached = _cache.get(key)
    if cached is None:
        fields = _fields(model, names)
        column = _quote(connection, model._meta.get_field(counter).column)
        assignments = ", ".join([f"{_quote(connection, f.column)} = %s" for f in fields] + [f"{column} = {column} + 1"])
        pk = _quote(connection, model._meta.pk.column)
        table = _quote(connection, model._meta.db_table)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s AND {column} = %s"  # noqa: S608 (quoted model identifiers)
        cached = _cache[key] = (sql, [(f.attname, _preparer(f, connection)) for f in fields])
    sql, preparers = cached
    params = [prepare(getattr(obj, attname), connection) for attname, prepare in preparers]
    params += [model._meta.pk.get_db_prep_value(obj.pk, connection), getattr(obj, counter)]
    return sql, params


_REQUIRED = object()
_PLAIN_TYPES = {
    "CharField": (str,),
    "TextField": (str,),
    "IntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "SmallIntegerField": (int,),
    "BigIntegerField": (int,),
    "BooleanField": (bool,),
}


def _preparer(field, connection) -> Callable[[Any, Any], Any]:
    """`field.get_db_prep_save`, short-cut for the values a turn writes most: text, numbers and
    booleans of the field's own type go as they are, JSON straight to the backend's adapter
    (what Django's preparation comes down to for them); anything else takes Django's path."""
    slow = field.get_db_prep_save
    plain = _PLAIN_TYPES.get(field.get_internal_type())
    if plain is not None and not field.is_relation:
        return lambda value, connection: value if type(value) in plain else slow(value, connection)
    if field.get_internal_type() == "JSONField":
        adapt, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda value, connection: None if value is None else adapt(value, encoder)
    return slow


class _Insert:
    """One model's INSERT: its columns, how a missing value is filled, and how each value is
    prepared for the database."""

    def __init__(self, connection, model: type[Model], *, ignore_conflicts: bool):
        fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
        self.columns = [(f.attname, self._filler(f), _preparer(f, connection)) for f in fields]
        self.timestamped = any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields)
        names = ", ".join(_quote(connection, f.column) for f in fields)
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        tail = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None) if ignore_conflicts else ""
        table = _quote(connection, model._meta.db_table)
        self.head = f"{connection.ops.insert_statement(on_conflict=on_conflict)} {table} ({names}) "
        self.tail = f" {tail}" if tail else ""
        self.row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # The guarded form selects its rows from VALUES, whose parameters carry no column type:
        # each is cast to its column's type.
        self.typed_row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
        self.statements: dict[int, tuple[str, str]] = {}

    @staticmethod
    def _filler(field) -> Callable[[Any], Any]:
        """What a row without a value for `field` gets, given the statement's `now`."""
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return lambda now: now
        if field.has_default():
            default = field.get_default
            return lambda now: default()
        if field.null:
            return lambda now: None

        def required(now):
            raise ValueError(f"insert_rows: no value for {field.attname!r}")

        return required

    def _sql(self, count: int) -> tuple[str, str]:
        """(plain, guarded) SQL for `count` rows, built once per row count."""
        statements = self.statements.get(count)
        if statements is None:
            typed_rows = ", ".join([self.typed_row] * count)
            guarded = f"{self.head}SELECT * FROM (VALUES {typed_rows}) AS v WHERE EXISTS (SELECT 1 FROM {_GUARD})"  # noqa: S608 (model metadata)
            plain = self.head + "VALUES " + ", ".join([self.row] * count) + self.tail
            statements = self.statements[count] = (plain, guarded + self.tail)
        return statements

    def __call__(self, connection, rows: Sequence[Mapping[str, Any]], now) -> Write:
        if self.timestamped and now is None:
            now = timezone.now()
        params = []
        append = params.append
        for row in rows:
            get = row.get
            for attname, fill, prep in self.columns:
                value = get(attname, _REQUIRED)
                append(prep(fill(now) if value is _REQUIRED else value, connection))
        plain, guarded = self._sql(len(rows))
        return Write(sql=plain, params=params, guarded_sql=guarded)


def insert_rows(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    now=None,
    using: str = "default",
) -> Write | None:
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


def update_where(queryset: QuerySet, **values: Any) -> Write:
    """The UPDATE that `queryset.update(**values)` would run, as a Write (compiled by the ORM:
    for the rarer writes of a turn, such as closing flow runs)."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    head, _, where = sql.partition(" WHERE ")
    guarded = f"{head} WHERE ({where}) AND EXISTS (SELECT 1 FROM {_GUARD})"  # noqa: S608 (compiled by the ORM)
    return Write(sql=sql, params=list(params), guarded_sql=guarded)


def execute(writes: Iterable[Write | None], *, swap: Statement | None = None, using: str = "default") -> bool:
    """Run a turn's writes, in order, all or none; returns False (and writes nothing) when the
    compare-and-swap UPDATE `swap` matched no row.

    On PostgreSQL they travel as one statement of data-modifying CTEs: one round trip, committed
    on its own when no transaction is open (the swap's row lock lasts only that statement).
    SQLite runs in-process: one short transaction, holding the write lock for these statements
    only."""
    writes = [w for w in writes if w is not None]
    if not writes and swap is None:
        return True
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _execute_postgresql(connection, writes, swap)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if swap is not None:
            cursor.execute(*swap)
            if cursor.rowcount != 1:
                return False
        for write in writes:
            cursor.execute(write.sql, write.params)
    return True


def _execute_postgresql(connection, writes: list[Write], swap: Statement | None) -> bool:
    with connection.cursor() as cursor:
        if swap is None and len(writes) == 1:
            cursor.execute(writes[0].sql, writes[0].params)
            return True
        if swap is None:
            *first, last = writes
            parts = [f"w{i} AS ({write.sql})" for i, write in enumerate(first)]
            sql = "WITH " + ", ".join(parts) + " " + last.sql
            cursor.execute(sql, [p for write in writes for p in write.params])
            return True
        swap_sql, swap_params = swap
        parts = [f"{_GUARD} AS ({swap_sql} RETURNING 1)"]
        parts += [f"w{i} AS ({write.guarded_sql})" for i, write in enumerate(writes)]
        sql = "WITH " + ", ".join(parts) + f" SELECT count(*) FROM {_GUARD}"  # noqa: S608 (built from model metadata)
        cursor.execute(sql, swap_params + [p for write in writes for p in write.params])
        return cursor.fetchone()[0] == 1
