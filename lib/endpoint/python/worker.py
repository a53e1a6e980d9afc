"""funcx-rx's Python worker: one long-lived process that runs one task at a time.

The endpoint (PythonPool.ts) starts it as ``python3 -u worker.py <max result bytes> <memory MB>``
and talks to it over two pipes of its own, so nothing a function prints can corrupt a message:
tasks arrive on fd 3, outcomes leave on fd 4, one JSON object per line. The first line out says
which Python this is. Time limits and cancellation are the endpoint's:
it kills the process and starts another.

A micro-batch (PythonBatchRun.ts) comes as one line, ``{"batch": {"code": {id: code}, "tasks":
[...]}}``: its tasks run in order, and each outcome leaves as soon as it is made, with its
position (``"at"``) and its run time in ms. Between two tasks the worker reads, without waiting,
the ``{"skip": position}`` lines the endpoint sent for tasks cancelled before they started, and
answers each skipped one with ``{"at": position, "skipped": true}`` instead of running it.

Functions load as Globus Compute loads them (globus_compute_sdk/serialize/concretes.py): ``st``
and ``sd`` (base64 of ``name:source``), ``03`` and ``04`` (dill of ``(name, source)``), ``01``
(dill of the function), ``02`` (pickle), and the combined ``10`` and ``12``. Arguments arrive as
JSONData (``11``), DillDataBase64 (``00``) or AllDataStrategies (``13``).

Results leave in the submitter's serialization (docs/serialization.md, "Results"): in the task's
``result_serializers`` when the submit named them (Globus Compute's v3 submit), else as
DillDataBase64 when any argument came as a pickle (``00``, or a ``13`` with a ``00`` part), else
as JSONData. Exceptions leave as the submitter reads them: Globus Compute (v3) as the traceback's
text; a pickling funcX SDK as ``00`` of an exception wrapper whose ``reraise()`` raises the remote
exception and whose ``e_value`` is its dill; everyone else as funcx-rx's ``je``, JSON of the
type's name, the message and the traceback. Standard library only, dill when present.
"""

import asyncio
import binascii
import codecs
import collections
import functools
import inspect
import json
import linecache
import os
import pickle
import platform
import select
import sys
import time
import traceback
import types
from collections import OrderedDict

# dill is imported on first use: most functions never need it, and it slows a worker's start.
_dill = []

# Loaded functions, by function id; the oldest go first past this many.
CACHE_LIMIT = 256


class ResultNotSerializable(Exception):
    """The function returned something the task's result serialization cannot carry."""


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


def describe(exc, skip_frames=None, style=None):
    """The exception as the task's submitter reads it (``style``, see :func:`style_of`; funcx-rx's
    ``je`` without one). With ``skip_frames``, the whole traceback (chained exceptions too) from
    the user's call on; without, only the frames outside this file (a function's source failing
    as it loads), as the worker's own say nothing to the user."""
    stack = traceback_text(exc, skip_frames)
    errors = style.errors if style is not None else "je"
    if errors == "text":
        return stack
    if errors == "pickle":
        try:
            return pickled_wrapper(exc, stack)
        except DeserializationError:
            pass  # no dill here (then the arguments could not load either): the text form, as je
    return "je\n" + json.dumps({"name": type_name(type(exc)), "message": str(exc), "stack": stack})


def pickled_wrapper(exc, stack):
    """``00`` of the exception wrapper the funcX SDK 0.3.x reads: its ``get_result`` calls
    ``reraise()``, its result socket ``dill.loads(wrapper.e_value)``. The wrapper is a
    ``SimpleNamespace`` and ``reraise`` a ``functools.partial`` of ``exec``, both in the standard
    library, so the client unpickles it with plain ``pickle`` and needs no class of ours. The
    remote traceback goes with the exception as a note (Python 3.11 and later print it)."""
    dill = need_dill("00", "DillDataBase64")
    try:
        if hasattr(exc, "add_note"):
            exc.add_note("Remote traceback (funcx-rx endpoint):\n" + stack.rstrip())
        value = dill.dumps(exc)
        dill.loads(value)  # an exception that pickles but cannot be rebuilt must not reach the client
    except Exception:  # an exception dill cannot carry travels as its text
        value = dill.dumps(Exception("%s: %s\n%s" % (type_name(type(exc)), exc, stack)))
    try:
        kind = dill.dumps(type(exc))
    except Exception:  # its type cannot travel: e_type is informative only
        kind = None
    wrapper = types.SimpleNamespace(
        e_type=kind,
        e_value=value,
        e_traceback=None,
        reraise=functools.partial(exec, "import dill\nraise dill.loads(e_value)", {"e_value": value}),
    )
    return "00\n" + codecs.encode(pickle.dumps(wrapper, protocol=4), "base64").decode()


def traceback_text(exc, skip_frames):
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
    return stack


# Globus Compute's data strategies a v3 submit may name in ``result_serializers`` (by import
# path; the class name decides), and the id each writes.
RESULT_SERIALIZERS = {"JSONData": "11", "DillDataBase64": "00", "AllDataStrategies": "13", "DillCode": "01"}
METHOD_NAMES = {method: "%s (%s)" % (name, method) for name, method in RESULT_SERIALIZERS.items()}


class Style:
    """How a task's outcome is written: result methods to try in order, and the exception form
    (``je``, ``pickle`` for the funcX SDK's wrapper, ``text`` for Globus Compute's traceback)."""

    def __init__(self, methods, errors, problem=None):
        self.methods = methods
        self.errors = errors
        # Why the task cannot run as asked (a result serializer this endpoint does not write).
        self.problem = problem


def data_ids(buffer):
    """The method ids a data buffer holds: its own, and for ``13`` those of its parts too."""
    method = buffer[:2]
    if method != "13":
        return {method}
    try:
        return {method} | {part[:2] for part in unpack_buffers(buffer[3:])}
    except DeserializationError:
        return {method}  # malformed: loading the arguments reports it


def style_of(task, buffers=None):
    """The submitter's serialization (docs/serialization.md, "Results"), from what the task
    carries: the options of a Globus Compute (v3) submit, else the methods of its arguments
    (``buffers``, its payload unpacked, when the caller has them)."""
    options = task.get("options") or {}
    globus_compute = options.get("submitter") == "globus-compute"
    if buffers is None:
        try:
            buffers = unpack_buffers(task.get("payload") or "")
        except DeserializationError:
            buffers = []
    pickled = any("00" in data_ids(b) for b in buffers)
    errors = "text" if globus_compute else ("pickle" if pickled else "je")
    methods = ["00"] if pickled else ["11"]
    names = options.get("result_serializers") or []
    if names:
        unknown = [n for n in names if RESULT_SERIALIZERS.get(str(n).rpartition(".")[2]) is None]
        if unknown:
            problem = "Result serializer %r is not one this endpoint writes (it writes %s)" % (
                unknown[0],
                ", ".join(sorted(RESULT_SERIALIZERS)),
            )
            return Style(methods, errors, problem)
        methods = [RESULT_SERIALIZERS[str(n).rpartition(".")[2]] for n in names]
    return Style(methods, errors)


def serialize_result(value, methods):
    """The value in the first of ``methods`` that carries it, as Globus Compute's endpoint tries
    the result serializers in order."""
    failures = []
    for method in methods:
        try:
            if method == "11":
                return "11\n" + json.dumps(value, allow_nan=False)
            if method in ("00", "01"):
                return method + "\n" + codecs.encode(need_dill(method, "DillDataBase64").dumps(value), "base64").decode()
            if method == "13":
                parts = []
                for part in ("11", "00"):
                    try:
                        parts.append(serialize_result(value, [part]))
                    except ResultNotSerializable as e:
                        failures.append(str(e))
                if parts:
                    return "13\n" + "".join("%d\n%s" % (len(p), p) for p in parts)
                continue
        except (TypeError, ValueError, RecursionError, pickle.PicklingError, DeserializationError) as e:
            failures.append("%s: %s" % (METHOD_NAMES.get(method, "method " + method), e))
            continue
    if len(methods) == 1 and len(failures) == 1:
        # One way to write it: the message names it ("which JSONData (11) cannot carry: ...").
        what, _, why = failures[0].partition(": ")
        raise ResultNotSerializable("The function returned a %s, which %s cannot carry: %s" % (type(value).__name__, what, why))
    raise ResultNotSerializable(
        "The function returned a %s, which none of the task's result serializations can carry: %s"
        % (type(value).__name__, "; ".join(failures))
    )


class Sandbox:
    """Globus Compute's per-task environment: ``GC_TASK_UUID``, ``GC_TASK_SANDBOX_DIR`` (the
    directory a ``ShellFunction`` runs in; it makes it) and, for an ``MPIFunction``,
    ``PARSL_MPI_PREFIX``. The working directory is put back after the task; the variables are
    set for each task (a task without them sees none of the last task's)."""

    NAMES = ("GC_TASK_UUID", "GC_TASK_SANDBOX_DIR", "PARSL_MPI_PREFIX")

    def __init__(self, task):
        self.values = {}
        task_id = task.get("task_id")
        if task_id:
            self.values["GC_TASK_UUID"] = task_id
            if task.get("sandbox_dir"):
                self.values["GC_TASK_SANDBOX_DIR"] = os.path.join(task["sandbox_dir"], task_id)
        prefix = mpi_prefix((task.get("options") or {}).get("resource_specification"), task.get("mpi_launcher"))
        if prefix:
            self.values["PARSL_MPI_PREFIX"] = prefix

    # The worker's own working directory, where every task starts.
    HOME = os.getcwd()

    def __enter__(self):
        # Exactly this task's variables: the last task's are replaced, or removed when this one
        # has none (an environment variable costs a putenv, so only what changes is written).
        for name in self.NAMES:
            value = self.values.get(name)
            if value is not None:
                if os.environ.get(name) != value:
                    os.environ[name] = value
            elif name in os.environ:
                del os.environ[name]
        return self

    def __exit__(self, *exc_info):
        try:
            os.chdir(self.HOME)
        except OSError:
            pass  # the old directory is gone: the next task runs where it is
        return False


def mpi_prefix(spec, launcher):
    """The launcher prefix for ``resource_specification`` (Globus Compute's ``num_ranks``, or
    ``num_nodes`` times ``ranks_per_node``), or None without ranks."""
    if not isinstance(spec, dict):
        return None
    ranks = spec.get("num_ranks")
    if ranks is None and spec.get("num_nodes") is not None and spec.get("ranks_per_node") is not None:
        ranks = int(spec["num_nodes"]) * int(spec["ranks_per_node"])
    if ranks is None:
        return None
    return "%s -n %d" % (launcher or "mpiexec", int(ranks))


TASK_INPUTS_METHOD = "ri"
TASK_MARKER_KEY = "__funcx_rx_task__"


class TaskInputMissing(Exception):
    """An argument stands for an input task whose result did not come with the task."""


class InputResolver:
    """Puts each input task's value in place of its marker ``{"__funcx_rx_task__": id}``,
    anywhere in nested lists, tuples and dicts; each input is loaded once."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.loaded = {}

    def __call__(self, value):
        if isinstance(value, dict):
            if len(value) == 1 and isinstance(value.get(TASK_MARKER_KEY), str):
                return self.value_of(value[TASK_MARKER_KEY])
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        return value

    def value_of(self, task_id):
        if task_id not in self.loaded:
            buffer = self.inputs.get(task_id)
            if buffer is None:
                raise TaskInputMissing(
                    "The result of input task %s did not come with this task "
                    "(it expired on the service before the task ran)" % task_id
                )
            self.loaded[task_id] = load_data(buffer)
        return self.loaded[task_id]


# Credits kept for tasks that have not asked for them yet; past this many the oldest go.
CREDITS_LIMIT = 1024


class Channel:
    """The task channel (fd 3), split into lines through a buffer of its own, so that a batch can
    take the lines that have arrived between two of its tasks without waiting for more. Control
    lines are kept here, wherever they are read: a streaming task's credit (by task id) until
    that task asks for it, and the skips of the batch running now."""

    def __init__(self, fd):
        self.fd = fd
        self.lines = collections.deque()
        self.partial = bytearray()
        self.eof = False
        self.credits = OrderedDict()
        self.batch = None
        self.skips = set()

    def control(self, line):
        """Keeps a control line (a credit or a skip); returns the line's message otherwise, or
        None for a line that is not JSON (the endpoint writes only JSON: it meant nothing)."""
        try:
            message = json.loads(line)
        except ValueError:
            return None
        if "credit" in message and "function_id" not in message:
            task_id, credit = message.get("task_id"), message["credit"]
            old = self.credits.pop(task_id, None)
            if old is not None:
                credit = {"count": max(old["count"], credit["count"]), "bytes": max(old["bytes"], credit["bytes"])}
            self.credits[task_id] = credit
            if len(self.credits) > CREDITS_LIMIT:
                self.credits.popitem(last=False)  # a credit for a task that ended before it came
            return None
        if "skip" in message:
            if message.get("batch") == self.batch:
                self.skips.add(message["skip"])
            return None  # else a skip for a batch that has ended
        return message

    def take_credit(self, task_id):
        """The credit kept for a task, if any came."""
        return self.credits.pop(task_id, None)

    def _fill(self):
        chunk = os.read(self.fd, 65536)  # under malloc's mmap threshold: a bigger buffer costs an mmap per read
        if not chunk:
            self.eof = True
            return
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                self.partial += chunk[start:]
                return
            self.partial += chunk[start:newline]
            self.lines.append(bytes(self.partial))
            self.partial.clear()
            start = newline + 1

    def readline(self):
        """The next line, waiting for it; None once the endpoint has closed the channel."""
        while not self.lines:
            if self.eof:
                return None
            self._fill()
        return self.lines.popleft()

    def take_arrived(self):
        """Reads the control lines that have arrived, without waiting for any. Between a batch's
        tasks only control lines come: the next batch is not written before this one has ended."""
        while not self.eof and select.select([self.fd], [], [], 0)[0]:
            self._fill()
        while self.lines:
            self.control(self.lines.popleft())


class Credits:
    """A streaming task's credit (docs/protocol-extensions.md §11): cumulative, as the endpoint's
    process writes it on the task channel while the task runs. Read only while the generator waits
    for more: the same rule as lib/endpoint/partialChannel.ts's mayStream."""

    def __init__(self, tasks, task_id, first):
        self.tasks = tasks
        self.task_id = task_id
        self.count = first["count"] if first else float("inf")
        self.bytes = first["bytes"] if first else float("inf")
        self.update()

    def allows(self, seq, sent, size):
        return seq < self.count and sent + size <= self.bytes

    def update(self):
        credit = self.tasks.take_credit(self.task_id)
        if credit:
            self.count = max(self.count, credit["count"])
            self.bytes = max(self.bytes, credit["bytes"])

    def wait(self, ready):
        while not ready():
            line = self.tasks.readline()
            if line is None:
                raise EOFError("the endpoint closed the task channel while a generator waited for credit")
            self.tasks.control(line)
            self.update()


def stream(generator, task, credits, send, max_result, style):
    """Streams a generator: each yield goes out as a partial, in order, before its outcome; it is
    not resumed while its credit allows no more. Its return value is the result."""
    is_async = inspect.isasyncgen(generator)
    loop = asyncio.new_event_loop() if is_async else None
    seq, sent = 0, 0
    try:
        while True:
            credits.wait(lambda: seq < credits.count)
            try:
                value = loop.run_until_complete(generator.__anext__()) if is_async else next(generator)
            except (StopIteration, StopAsyncIteration) as end:
                returned = getattr(end, "value", None)
                text = serialize_result(returned, style.methods)
                if len(text) > max_result:
                    raise ResultTooLarge("The result is %d bytes, over this endpoint's limit of %d bytes" % (len(text), max_result))
                return {"result": text, "partials": seq}, False
            except BaseException as e:
                return {"exception": describe(e, skip_frames=1, style=style), "partials": seq}, isinstance(e, MemoryError)
            text = serialize_result(value, style.methods)
            size = len(text.encode())
            if len(text) > max_result:
                raise ResultTooLarge("A partial result is %d bytes, over this endpoint's limit of %d bytes" % (len(text), max_result))
            credits.wait(lambda: credits.allows(seq, sent, size))
            send({"partial": {"seq": seq, "value": text}})
            seq, sent = seq + 1, sent + size
    finally:
        if loop is not None:
            loop.close()


def run(task, functions, max_result, style, credits=None, send=None, buffers=None):
    if style.problem is not None:
        raise DeserializationError(style.problem)
    function_id = task["function_id"]
    fn = functions.get(function_id)
    if fn is None:
        fn = load_function(unpack_buffers(task["function_code"]))
        functions[function_id] = fn
        if len(functions) > CACHE_LIMIT:
            functions.popitem(last=False)
    else:
        functions.move_to_end(function_id)
    if buffers is None:
        buffers = unpack_buffers(task["payload"])  # raises what is wrong with it
    # A task with inputs carries their results in a third buffer (lib/serialize/taskInputs.ts).
    inputs = None
    if len(buffers) == 3 and buffers[2].startswith(TASK_INPUTS_METHOD + "\n"):
        inputs = json.loads(buffers.pop()[3:])
    if len(buffers) != 2:
        raise DeserializationError("A payload packs 2 buffers (args, kwargs), got %d" % len(buffers))
    args, kwargs = load_data(buffers[0]), load_data(buffers[1])
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise DeserializationError("A payload holds a list of arguments and a dict of keyword arguments")
    if inputs is not None:
        resolve = InputResolver(inputs)
        args, kwargs = resolve(args), resolve(kwargs)
    with Sandbox(task):
        try:
            value = fn(*args, **kwargs)
            if inspect.iscoroutine(value):
                value = asyncio.run(value)
        except BaseException as e:
            # The user's own exception: its traceback starts in the user's code, not here.
            return {"exception": describe(e, skip_frames=1, style=style)}, isinstance(e, MemoryError)
        if (inspect.isgenerator(value) or inspect.isasyncgen(value)) and send is not None:
            return stream(value, task, credits, send, max_result, style)
    text = serialize_result(value, style.methods)
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


def run_one(task, functions, max_result, tasks, send):
    """Runs one task; its outcome, and whether the process must end after it (a MemoryError)."""
    recycle = False
    style = None
    try:
        try:
            buffers = unpack_buffers(task.get("payload") or "")
        except DeserializationError:
            buffers = None  # run() says what is wrong with it
        style = style_of(task, buffers or [])
        outcome, recycle = run(task, functions, max_result, style, Credits(tasks, task.get("task_id"), task.get("credit")), send, buffers)
    except MemoryError as e:
        outcome, recycle = {"exception": describe(e, style=style)}, True
    except Exception as e:
        outcome = {"exception": describe(e, style=style)}
    tasks.take_credit(task.get("task_id"))  # one that came after the task's last wait is of no use now
    if recycle:
        outcome["recycle"] = True
    return outcome, recycle


def run_batch(batch, functions, max_result, tasks, send):
    """Runs a micro-batch in order, each outcome sent as soon as it is made; skips the positions
    the endpoint cancelled before they started. An outcome leaves in one write with the answers
    for the skipped positions right after it, so the endpoint sees at once that the next task it
    cancelled is not running. Returns whether the process must end."""
    code = batch["code"]
    batch_tasks = batch["tasks"]
    tasks.batch = batch.get("id")
    tasks.skips.clear()

    def skips_from(at, answers):
        while at < len(batch_tasks) and at in tasks.skips:
            answers.append({"at": at, "skipped": True})
            at += 1
        return at

    try:
        tasks.take_arrived()
        answers = []
        at = skips_from(0, answers)
        if answers:
            send(*answers)
        while at < len(batch_tasks):
            task = batch_tasks[at]
            task["function_code"] = code.get(task.get("function_id"), "")  # missing: run_one reports it
            started = time.perf_counter()
            outcome, recycle = run_one(task, functions, max_result, tasks, send)
            outcome["at"] = at
            outcome["ms"] = (time.perf_counter() - started) * 1000
            if recycle:
                send(outcome)
                return True
            tasks.take_arrived()
            answers = [outcome]
            at = skips_from(at + 1, answers)
            send(*answers)
        return False
    finally:
        tasks.batch = None
        tasks.skips.clear()


def main():
    max_result = int(sys.argv[1])
    set_memory_limit(int(sys.argv[2]))
    tasks = Channel(3)
    outcomes = os.fdopen(4, "wb")

    def send(*messages):
        outcomes.write(b"".join(json.dumps(message).encode() + b"\n" for message in messages))
        outcomes.flush()

    send({"ready": True, "version": platform.python_version(), "executable": sys.executable})
    functions = OrderedDict()
    while True:
        line = tasks.readline()
        if line is None:
            return
        message = tasks.control(line)
        if message is None:
            continue  # a credit or a skip, kept by the channel (or a line that meant nothing)
        if "batch" in message:
            recycle = run_batch(message["batch"], functions, max_result, tasks, send)
        elif "function_id" in message:
            started = time.perf_counter()
            outcome, recycle = run_one(message, functions, max_result, tasks, send)
            outcome["ms"] = (time.perf_counter() - started) * 1000
            send(outcome)
        else:
            continue  # nothing this worker knows: the endpoint writes only the messages above
        if recycle:
            # After a MemoryError the heap may be in any state: a fresh process takes the next task.
            os._exit(0)


if __name__ == "__main__":
    main()
