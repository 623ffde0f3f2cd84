"""Pulling WMS shipments from the WMS database over ODBC (issue 9 §2): ``pyodbc``, the design card's
driver for the company's SQL Server (FreeTDS or Microsoft's ODBC driver), with a connection string or
DSN and a SELECT from settings. The rows go through the same header aliases and validation as a file,
all or nothing."""

from __future__ import annotations

from typing import Any

from engine.config import Settings
from engine.errors import ConfigurationError, ExternalServiceError, ValidationError
from engine.wms.importer import canonical_header

TIMEOUT_S = 30
MAX_ROWS = 2_000_000  # a WMS export of a year of packages; more is a query to narrow


def pull_rows(settings: Settings) -> list[tuple[int, dict[str, Any]]]:
    """The query's rows as the importer reads a file's: (row number, {column: value})."""
    if settings.wms_odbc_connection is None:
        raise ConfigurationError(
            "Set OPSLEDGER_WMS_ODBC_CONNECTION (an ODBC connection string or DSN=name) to pull from the WMS."
        )
    query = settings.wms_odbc_query.strip()
    if not query.lower().startswith("select"):
        raise ConfigurationError("OPSLEDGER_WMS_ODBC_QUERY must be a SELECT.")
    import pyodbc

    try:
        connection = pyodbc.connect(
            settings.wms_odbc_connection.get_secret_value(), timeout=TIMEOUT_S, readonly=True
        )
    except pyodbc.Error as error:
        # The driver's words (never the connection string: it may hold a password).
        raise ExternalServiceError(
            f"The WMS database cannot be reached over ODBC: {error.args[-1]}"
        ) from error
    try:
        cursor = connection.cursor()
        cursor.execute(query)
        names = [canonical_header(column[0]) for column in cursor.description or []]
        rows = cursor.fetchmany(MAX_ROWS + 1)
    except pyodbc.Error as error:
        raise ExternalServiceError(f"The WMS query failed: {error.args[-1]}") from error
    finally:
        connection.close()
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"The WMS query returned more than {MAX_ROWS:,} rows; narrow it by date.")
    return [(number, dict(zip(names, row, strict=True))) for number, row in enumerate(rows, start=1)]
