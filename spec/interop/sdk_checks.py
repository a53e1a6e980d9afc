"""What both SDK check scripts share: their settings and the `check` decorator.

The check scripts run as ``__main__`` (their task functions must stay there: dill sends functions
of ``__main__`` by value, and the endpoint could not import this module), and Python puts their
directory first on ``sys.path``, so ``import sdk_checks`` finds this file. Settings come from the
environment: FXRX_URL (the service), FXRX_TOKEN (a bearer token), FXRX_ENDPOINT (an online
endpoint).
"""

import os
import time
import traceback

URL = os.environ["FXRX_URL"]
TOKEN = os.environ["FXRX_TOKEN"]
ENDPOINT = os.environ["FXRX_ENDPOINT"]
DEADLINE_S = 30

checks = {}


def check(name):
    """Runs the decorated function at once and records its value, or what it raised, under name."""

    def record(fn):
        started = time.monotonic()
        try:
            checks[name] = {"value": fn()}
        except BaseException as e:  # every failure is the check's outcome, reported to the spec
            checks[name] = {"error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()}
        checks[name]["seconds"] = round(time.monotonic() - started, 3)
        return fn

    return record
