"""The Globus Compute SDK 4.15, unmodified, against a funcx-rx service: each check through its
public API.

Run by spec/interop/globusCompute.spec.ts on Debian's /usr/bin/python3, with the vendored SDK on
PYTHONPATH. It prints one JSON object: per check, what the SDK returned (``value``) or the
exception it raised (``error``), for the spec to compare with what Globus Compute promises.
Settings come from the environment: FXRX_URL (the service), FXRX_TOKEN (a bearer token),
FXRX_ENDPOINT (an online endpoint), FXRX_AMQP (1 when the service has its RabbitMQ result
transport, for the Executor check).
"""

import concurrent.futures
import json
import os
import sys
import time

from globus_sdk import AccessTokenAuthorizer

from sdk_checks import DEADLINE_S, ENDPOINT, TOKEN, URL, check, checks


def double(x):
    return x * 2


def fail(x):
    raise ValueError("bad value %r" % (x,))


def result_of(gcc, task_id):
    """get_result until the task is no longer pending: the polling the Client offers."""
    from globus_compute_sdk.errors import TaskPending

    limit = time.monotonic() + DEADLINE_S
    while True:
        try:
            return gcc.get_result(task_id)
        except TaskPending:
            if time.monotonic() > limit:
                raise
            time.sleep(0.05)


state = {}


@check("client")
def _():
    from globus_compute_sdk import Client
    from globus_compute_sdk.sdk.client import _ComputeWebClient

    # 4.15 names only its own services; a self-hosted one is its web client's base_url.
    gcc = Client(authorizer=AccessTokenAuthorizer(TOKEN), do_version_check=False)
    gcc._compute_web_client = _ComputeWebClient(base_url=URL, authorizer=gcc.authorizer)
    gcc.version_check()
    state["gcc"] = gcc
    return type(gcc).__name__


@check("register_function")
def _():
    gcc = state["gcc"]
    state["double"] = gcc.register_function(double)
    state["fail"] = gcc.register_function(fail, description="raises ValueError")
    return [len(state["double"]), len(state["fail"])]


@check("run_get_result")
def _():
    gcc = state["gcc"]
    task_id = gcc.run(50, endpoint_id=ENDPOINT, function_id=state["double"])
    return result_of(gcc, task_id)


@check("batch")
def _():
    gcc = state["gcc"]
    batch = gcc.create_batch()
    for i in range(10):
        batch.add(state["double"], args=(i,))
    submitted = gcc.batch_run(ENDPOINT, batch)
    task_ids = submitted["tasks"][state["double"]]
    limit = time.monotonic() + DEADLINE_S
    while True:
        results = gcc.get_batch_result(task_ids)
        if len(results) == len(task_ids) and all(not r["pending"] for r in results.values()):
            return {"results": [results[t]["result"] for t in task_ids], "endpoint_id": submitted["endpoint_id"]}
        if time.monotonic() > limit:
            raise TimeoutError("batch still pending: %r" % results)
        time.sleep(0.05)


@check("remote_exception")
def _():
    from globus_compute_sdk.errors import TaskExecutionFailed

    gcc = state["gcc"]
    task_id = gcc.run(7, endpoint_id=ENDPOINT, function_id=state["fail"])
    try:
        result_of(gcc, task_id)
    except TaskExecutionFailed as e:
        return {"type": type(e).__name__, "last_line": e.remote_data.strip().splitlines()[-1]}
    raise AssertionError("get_result returned instead of raising")


@check("shell_function")
def _():
    from globus_compute_sdk import ShellFunction

    gcc = state["gcc"]
    function_id = gcc.register_function(ShellFunction("echo {x}; pwd"))
    task_id = gcc.run(endpoint_id=ENDPOINT, function_id=function_id, x="hello")
    shell = result_of(gcc, task_id)
    return {
        "type": type(shell).__name__,
        "returncode": shell.returncode,
        "stdout": shell.stdout.splitlines(),
        "task_id": task_id,
    }


@check("mpi_function")
def _():
    from globus_compute_sdk import MPIFunction

    gcc = state["gcc"]
    function_id = gcc.register_function(MPIFunction("echo ranks"))
    task_id = gcc.run(endpoint_id=ENDPOINT, function_id=function_id)
    shell = result_of(gcc, task_id)
    return {"type": type(shell).__name__, "returncode": shell.returncode, "stdout": shell.stdout.splitlines()}


@check("executor")
def _():
    from globus_compute_sdk import Executor

    with Executor(endpoint_id=ENDPOINT, client=state["gcc"]) as gce:
        futures = [gce.submit(double, i) for i in range(20)]
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE_S)
        if pending:
            raise TimeoutError("%d of 20 futures still pending after %d s" % (len(pending), DEADLINE_S))
        failing = gce.submit(fail, 3)
        try:
            failing.result(timeout=DEADLINE_S)
        except Exception as e:
            exception = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[-1].strip())
        else:
            raise AssertionError("the failing future resolved")
        return {"values": [f.result() for f in futures], "exception": exception}


@check("endpoint_status")
def _():
    status = state["gcc"].get_endpoint_status(ENDPOINT)
    return {"status": status["status"]}


json.dump(checks, sys.stdout)
sys.stdout.write("\n")
sys.stdout.flush()
# The SDK's atexit hooks and background threads are not ours to wait for.
os._exit(0)
