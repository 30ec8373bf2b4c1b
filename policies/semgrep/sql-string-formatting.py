import sqlite3

import asyncpg
import sqlalchemy
from flask import Flask, request

app = Flask(__name__)


def find_user(db: sqlite3.Connection, name: str, user_id: int) -> list:
    cursor = db.cursor()
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ruleid: microgate.sql-string-formatting
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "' AND active = 1")
    # The query built here is reported where it runs (microgate keeps that finding only).
    # ruleid: microgate.sql-built-from-text
    query = "DELETE FROM users WHERE id = " + str(user_id)
    query += " AND name = '" + name + "'"
    # ruleid: microgate.sql-string-formatting
    db.execute(query)
    # ok: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    # ok: microgate.sql-string-formatting
    cursor.execute("SELECT count(*) FROM users")
    table = "users"
    # ok: microgate.sql-string-formatting
    cursor.execute(f"SELECT * FROM {table} WHERE id = ?", (user_id,))
    # ok: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users " + "ORDER BY name")
    return cursor.fetchall()


async def find_order(connection: asyncpg.Connection, order_id: str) -> list:
    # ruleid: microgate.sql-string-formatting
    return await connection.fetch(f"SELECT * FROM orders WHERE id = '{order_id}'")


async def find_order_safely(connection: asyncpg.Connection, order_id: str) -> list:
    # ok: microgate.sql-string-formatting
    return await connection.fetch("SELECT * FROM orders WHERE id = $1", order_id)


@app.route("/search")
def search(engine: sqlalchemy.Engine) -> str:
    term = request.args["q"]
    with engine.connect() as connection:
        # ruleid: microgate.sql-string-formatting
        connection.execute(sqlalchemy.text(term))
        # ok: microgate.sql-string-formatting
        connection.execute(sqlalchemy.text("SELECT * FROM t WHERE a = :a"), {"a": term})
    return "done"


def report(identifier: str) -> str:
    # ruleid: microgate.sql-built-from-text
    statement = "SELECT * FROM audit WHERE id = '%s'" % identifier
    # ok: microgate.sql-built-from-text
    heading = "Selected: %s" % identifier
    return statement + heading
