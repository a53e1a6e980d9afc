"""The funcX SDK 0.3.4, unmodified, against a funcx-rx service: each check through its public API.

Run by spec/interop/funcx034.spec.ts on Debian's /usr/bin/python3, with the vendored SDK on
PYTHONPATH. It prints one JSON object: per check, what the SDK returned (``value``) or the
exception it raised (``error``), for the spec to compare with what funcX promises. Settings come
from the environment: FXRX_URL (the service), FXRX_TOKEN (a bearer token), FXRX_ENDPOINT (an
online endpoint). HOME points at a scratch directory whose .globus.cfg sends globus-sdk's one
Globus Auth call (``oauth2_userinfo``) to the spec's stub.
"""

import asyncio
import concurrent.futures
import json
import os
import sys
import time

from globus_sdk import AccessTokenAuthorizer

from sdk_checks import DEADLINE_S, ENDPOINT, TOKEN, URL, check, checks

WS_URI = URL.replace("http", "ws", 1) + "/ws/v2/"


def double(x):
    return x * 2


def fail(x):
    raise ValueError("bad value %r" % (x,))


def new_client(**kwargs):
    authorizer = AccessTokenAuthorizer(TOKEN)
    from funcx import FuncXClient

    fxc = FuncXClient(
        fx_authorizer=authorizer,
        search_authorizer=authorizer,
        openid_authorizer=authorizer,
        funcx_service_address=URL + "/v2",
        results_ws_uri=WS_URI,
        use_offprocess_checker=False,
        **kwargs,
    )
    fxc.throttling_enabled = False
    return fxc


def result_of(fxc, task_id):
    """get_result until the task is no longer pending: the polling the SDK offers."""
    from funcx.utils.errors import TaskPending

    limit = time.monotonic() + DEADLINE_S
    while True:
        try:
            return fxc.get_result(task_id)
        except TaskPending:
            if time.monotonic() > limit:
                raise
            time.sleep(0.05)


state = {}


@check("client")
def _():
    state["fxc"] = new_client()
    return type(state["fxc"]).__name__


@check("register_function")
def _():
    fxc = state["fxc"]
    state["double"] = fxc.register_function(double)
    state["fail"] = fxc.register_function(fail, description="raises ValueError")
    return [len(state["double"]), len(state["fail"])]


@check("run_get_result")
def _():
    fxc = state["fxc"]
    task_id = fxc.run(50, endpoint_id=ENDPOINT, function_id=state["double"])
    state["task_id"] = task_id
    return result_of(fxc, task_id)


@check("get_task")
def _():
    task = state["fxc"].get_task(state["task_id"])
    return {"pending": task["pending"], "status": task["status"], "result": task["result"]}


@check("batch")
def _():
    fxc = state["fxc"]
    batch = fxc.create_batch()
    for i in range(10):
        batch.add(i, endpoint_id=ENDPOINT, function_id=state["double"])
    task_ids = fxc.batch_run(batch)
    limit = time.monotonic() + DEADLINE_S
    while True:
        results = fxc.get_batch_result(task_ids)
        if all(not r["pending"] for r in results.values()) and len(results) == len(task_ids):
            return [results[t]["result"] for t in task_ids]
        if time.monotonic() > limit:
            raise TimeoutError("batch still pending: %r" % results)
        time.sleep(0.05)


@check("remote_exception")
def _():
    fxc = state["fxc"]
    task_id = fxc.run(7, endpoint_id=ENDPOINT, function_id=state["fail"])
    try:
        result_of(fxc, task_id)
    except ValueError as e:
        return {"type": type(e).__name__, "message": str(e).splitlines()[0]}
    raise AssertionError("get_result returned instead of raising")


@check("executor")
def _():
    from funcx.sdk.executor import FuncXExecutor

    fx = FuncXExecutor(state["fxc"])
    try:
        futures = [fx.submit(double, i, endpoint_id=ENDPOINT) for i in range(20)]
        done, pending = concurrent.futures.wait(futures, timeout=DEADLINE_S)
        if pending:
            raise TimeoutError("%d of 20 futures still pending after %d s" % (len(pending), DEADLINE_S))
        return [f.result() for f in futures]
    finally:
        fx.shutdown()


@check("async_client")
def _():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    fxc = new_client(asynchronous=True, loop=loop)

    async def main():
        tasks = [fxc.run(i, endpoint_id=ENDPOINT, function_id=state["double"]) for i in range(3)]
        values = await asyncio.wait_for(asyncio.gather(*tasks), DEADLINE_S)
        failing = fxc.run(3, endpoint_id=ENDPOINT, function_id=state["fail"])
        try:
            await asyncio.wait_for(failing, DEADLINE_S)
        except ValueError as e:
            return {"values": values, "exception": "%s: %s" % (type(e).__name__, str(e).splitlines()[0])}
        raise AssertionError("the failing task resolved")

    try:
        return loop.run_until_complete(main())
    finally:
        # The 0.3.x client never closes its socket: its reader and writer tasks are stopped here.
        ws = fxc.ws_polling_task.ws
        if ws is not None:
            loop.run_until_complete(ws.close())
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.close()


@check("endpoint_status")
def _():
    status = state["fxc"].get_endpoint_status(ENDPOINT)
    return {"status": status["status"], "logs": status["logs"]}


json.dump(checks, sys.stdout)
sys.stdout.write("\n")
sys.stdout.flush()
# The SDK's atexit hooks and background threads (the executor's poller) are not ours to wait for.
os._exit(0)
