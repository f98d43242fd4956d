"""Helpers the monitor system tests share: reading the monitor's SQLite store while it runs, and
waiting for a condition with a deadline."""

import sqlite3
import time


def db_rows(db, sql, *args):
    """The rows of sql on the store at db; [] while the daemon has not created the tables."""
    con = sqlite3.connect(str(db))
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        con.close()


def wait_until(predicate, seconds, what):
    """Polls predicate every 0.2 s; AssertionError naming what when seconds pass without it."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)
