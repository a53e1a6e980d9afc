"""funcx-rx's Python worker: one long-lived process that runs one task at a time.

The endpoint (PythonPool.ts) starts it as ``python3 -u worker.py <max result bytes> <memory MB>``
and talks to it over two pipes of its own, so nothing a function prints can corrupt a message:
tasks arrive on fd 3, outcomes leave on fd 4, one JSON object per line. The first line out says
which Python this is. Time limits and cancellation are the endpoint's:
it kills the process and starts another.

Functions load as Globus Compute loads them (globus_compute_sdk/serialize/concretes.py): ``st``
and ``sd`` (base64 of ``name:source``), ``03`` and ``04`` (dill of ``(name, source)``), ``01``
(dill of the function), ``02`` (pickle), and the combined ``10`` and ``12``. Arguments arrive as
JSONData (``11``) or AllDataStrategies (``13``); results leave as JSONData. Exceptions leave as
funcx-rx's ``je``: JSON of the type's name, the message and the traceback. Standard library only,
dill when present.
"""

import asyncio
import binascii
import codecs
import inspect
import json
import linecache
import os
import pickle
import platform
import sys
import traceback
from collections import OrderedDict

# dill is imported on first use: most functions never need it, and it slows a worker's start.
_dill = []

# Loaded functions, by function id; the oldest go first past this many.
CACHE_LIMIT = 256


class ResultNotSerializable(Exception):
    """The function returned something JSONData (``11``) cannot carry."""


class ResultTooLarge(Exception):
    """The serialized result is over the endpoint's result limit."""


class DeserializationError(Exception):
    """Function code, arguments or keyword arguments could not be read."""


def unpack_buffers(packed):
    """Globus Compute's ``unpack_buffers``: ``<length>\\n<buffer>`` one after another."""
    buffers = []
    while packed:
        head, sep, rest = packed.partition("\n")
        if not sep or not head.isdigit():
            raise DeserializationError("Malformed packed buffer: expected '<length>\\n'")
        length = int(head)
        if len(rest) < length:
            raise DeserializationError("Malformed packed buffer: a length runs past the end")
        buffers.append(rest[:length])
        packed = rest[length:]
    return buffers


def split_id(buffer):
    if len(buffer) < 3 or buffer[2] != "\n":
        raise DeserializationError("Malformed data (no newline separator): %r" % buffer[:50])
    return buffer[:2], buffer[3:]


def need_dill(method, what):
    if not _dill:
        try:
            import dill
        except ImportError:
            dill = None
        _dill.append(dill)
    if _dill[0] is None:
        raise DeserializationError(
            "Method %s (%s) needs the dill package, which this endpoint's Python (%s %s) lacks;"
            " install it (Debian: apt-get install python3-dill)"
            % (method, what, sys.executable, platform.python_version())
        )
    return _dill[0]


def b64(body):
    return codecs.decode(body.encode(), "base64")


def define(name, source):
    """Runs source as Globus Compute does, ``exec`` in a fresh namespace, and returns ``name`` from it.

    The source gets a file name of its own in linecache, so tracebacks show its lines.
    """
    filename = "<python function %s>" % name
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    if name not in namespace:
        raise DeserializationError("The source does not define %r at its top level" % name)
    return namespace[name]


def load_code(buffer):
    method, body = split_id(buffer)
    if method in ("st", "sd"):
        try:
            text = b64(body).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            text = body  # older SDKs sent the text itself
        name, sep, source = text.partition(":")
        if not sep:
            raise DeserializationError("Method %s needs 'name:source'" % method)
        return define(name, source)
    if method in ("03", "04"):
        name, source = need_dill(method, "DillCodeTextInspect" if method == "03" else "DillCodeSource").loads(b64(body))
        return define(name, source)
    if method == "01":
        return need_dill(method, "DillCode").loads(b64(body))
    if method == "02":
        return pickle.loads(b64(body))
    if method == "10":
        parts = body.split(":")
        return first_that_loads(zip(parts[0::2], parts[1::2]), lambda pair: load_code(pair[0] + pair[1]), "CombinedCode (10)")
    if method == "12":
        return first_that_loads(unpack_buffers(body), load_code, "AllCodeStrategies (12)")
    if method == "js":
        raise DeserializationError("Method js is JavaScript code, which a Python worker cannot run")
    raise DeserializationError("Unknown code serialization method %r" % method)


def first_that_loads(parts, load, what):
    failures = []
    for part in parts:
        try:
            return load(part)
        except Exception as e:  # each part may fail; the next is tried, as Globus Compute does
            failures.append("%s: %s" % (type(e).__name__, e))
    raise DeserializationError("No part of the %s value loaded: %s" % (what, "; ".join(failures) or "it is empty"))


def load_data(buffer):
    method, body = split_id(buffer)
    if method == "11":
        return json.loads(body)
    if method == "13":
        return first_that_loads(unpack_buffers(body), load_data, "AllDataStrategies (13)")
    if method == "00":
        return need_dill(method, "DillDataBase64").loads(b64(body))
    raise DeserializationError("Method %r is not data a Python worker reads (11, 13 or 00)" % method)


def load_function(buffers):
    if len(buffers) != 1:
        raise DeserializationError("Function code packs 1 buffer, got %d" % len(buffers))
    fn = load_code(buffers[0])
    if not callable(fn):
        raise DeserializationError("The function code loads a %s, which is not callable" % type(fn).__name__)
    return fn


def type_name(exc_type):
    module = getattr(exc_type, "__module__", "builtins")
    return exc_type.__qualname__ if module in ("builtins", "__main__", None) else "%s.%s" % (module, exc_type.__qualname__)


def describe(exc, skip_frames=None):
    """funcx-rx's ``je``: the exception's type name, message and traceback. With ``skip_frames``,
    the whole traceback (chained exceptions too) from the user's call on; without, only the frames
    outside this file (a function's source failing as it loads), as the worker's own say nothing
    to the user."""
    if skip_frames is None:
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename != __file__]
        head = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) if frames else ""
        stack = head + "".join(traceback.format_exception_only(type(exc), exc))
    else:
        tb = exc.__traceback__
        for _ in range(skip_frames):
            if tb is not None:
                tb = tb.tb_next
        stack = "".join(traceback.format_exception(type(exc), exc, tb))
    return "je\n" + json.dumps({"name": type_name(type(exc)), "message": str(exc), "stack": stack})


def run(task, functions, max_result):
    function_id = task["function_id"]
    fn = functions.get(function_id)
    if fn is None:
        fn = load_function(unpack_buffers(task["function_code"]))
        functions[function_id] = fn
        if len(functions) > CACHE_LIMIT:
            functions.popitem(last=False)
    else:
        functions.move_to_end(function_id)
    buffers = unpack_buffers(task["payload"])
    if len(buffers) != 2:
        raise DeserializationError("A payload packs 2 buffers (args, kwargs), got %d" % len(buffers))
    args, kwargs = load_data(buffers[0]), load_data(buffers[1])
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise DeserializationError("A payload holds a list of arguments and a dict of keyword arguments")
    try:
        value = fn(*args, **kwargs)
        if inspect.iscoroutine(value):
            value = asyncio.run(value)
    except BaseException as e:
        # The user's own exception: its traceback starts in the user's code, not here.
        return {"exception": describe(e, skip_frames=1)}, isinstance(e, MemoryError)
    try:
        text = "11\n" + json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        raise ResultNotSerializable(
            "The function returned a %s, which JSONData (11) cannot carry: %s" % (type(value).__name__, e)
        ) from None
    if len(text) > max_result:
        raise ResultTooLarge("The result is %d bytes, over this endpoint's limit of %d bytes" % (len(text), max_result))
    return {"result": text}, False


def set_memory_limit(megabytes):
    if megabytes <= 0:
        return
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the endpoint still recovers when the process dies


def main():
    max_result = int(sys.argv[1])
    set_memory_limit(int(sys.argv[2]))
    tasks = os.fdopen(3, "rb")
    outcomes = os.fdopen(4, "wb")

    def send(message):
        outcomes.write(json.dumps(message).encode() + b"\n")
        outcomes.flush()

    send({"ready": True, "version": platform.python_version(), "executable": sys.executable})
    functions = OrderedDict()
    for line in tasks:
        recycle = False
        try:
            outcome, recycle = run(json.loads(line), functions, max_result)
        except MemoryError as e:
            outcome, recycle = {"exception": describe(e)}, True
        except Exception as e:
            outcome = {"exception": describe(e)}
        if recycle:
            outcome["recycle"] = True
        send(outcome)
        if recycle:
            # After a MemoryError the heap may be in any state: a fresh process takes the next task.
            os._exit(0)


if __name__ == "__main__":
    main()
