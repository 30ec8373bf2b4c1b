import sqlite3


def find_user(db: sqlite3.Connection, name: str, user_id: int) -> list:
    cursor = db.cursor()
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ruleid: microgate.sql-string-formatting
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
    # ruleid: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")
    query = f"DELETE FROM users WHERE id = {user_id}"
    # ruleid: microgate.sql-string-formatting
    db.execute(query)
    # ok: microgate.sql-string-formatting
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    # ok: microgate.sql-string-formatting
    cursor.execute("SELECT count(*) FROM users")
    return cursor.fetchall()
