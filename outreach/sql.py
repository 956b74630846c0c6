"""SQL statements compiled once per database dialect and run on the driver's cursor.

The few statements a worker runs for every letter (claim, outcome) cost several times more
in SQLAlchemy's per-execution machinery than in the database itself. A :class:`Prepared`
statement is plain SQL with named parameters; it is compiled once per dialect (parameter
style and type conversion, such as SQLite's text timestamps, come from SQLAlchemy) and then
executed directly on the cursor of the session's current connection, inside the session's
transaction, which the caller commits as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from outreach.extensions import Session


class Prepared:
    """``Prepared("UPDATE letter SET ... WHERE id = :letter_id", letter_id=Integer())``."""

    def __init__(self, sql: str, **types: TypeEngine[Any]) -> None:
        self.clause = text(sql).bindparams(*(bindparam(k, type_=t) for k, t in types.items()))
        self._plans: dict[
            Dialect, tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]
        ] = {}

    def _plan(
        self, dialect: Dialect
    ) -> tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]:
        plan = self._plans.get(dialect)
        if plan is None:
            compiled = self.clause.compile(dialect=dialect)
            processors: dict[str, Callable[[Any], Any]] = {}
            for param in compiled.binds.values():
                processor = param.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[param.key] = processor
            order = tuple(compiled.positiontup or ()) if dialect.positional else None
            plan = (compiled.string, order, processors)
            self._plans[dialect] = plan
        return plan

    def run(self, session: Session, params: Mapping[str, Any]) -> Any:
        """Execute in the session's transaction; returns the driver's cursor."""
        connection = session.connection()
        sql, order, processors = self._plan(connection.dialect)
        values = {
            k: processors[k](v) if k in processors and v is not None else v
            for k, v in params.items()
        }
        args = tuple(values[k] for k in order) if order is not None else values
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, args)
        except connection.dialect.loaded_dbapi.Error as exc:
            # The same exceptions (and disconnect handling) as statements run by SQLAlchemy.
            cursor.close()
            disconnected = connection.dialect.is_disconnect(
                exc, connection.connection.dbapi_connection, cursor
            )
            if disconnected:
                connection.invalidate(exc)
            raise DBAPIError.instance(
                sql,
                args,
                exc,
                connection.dialect.loaded_dbapi.Error,
                connection_invalidated=disconnected,
                dialect=connection.dialect,
            ) from exc
        return cursor
