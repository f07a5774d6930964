"""SQLite backend that uses the real variable limit of the linked SQLite library.

Django assumes the old compile-time default of 999 bound variables per statement, so bulk
writes of a 1,000-node graph are split into a dozen statements. SQLite 3.32+ allows 32,766;
asking the library lets a graph save take a constant number of queries here as it does on
PostgreSQL.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    @property
    def max_query_params(self):
        return self.connection.variable_limit


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    variable_limit = 999

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        self.variable_limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return conn
