"""Builds function records and payloads by hand, exactly as the Globus Compute SDK does, and
prints them as JSON for spec/python/sdkCompat.spec.ts.

Standard library only for PureSourceTextInspect (``st``) and JSONData (``11``), the SDK's own
steps re-done line by line (globus_compute_sdk/serialize: concretes.py, utils.py, and
FunctionRegistrationData's ``pack_buffers([serialize(function)])``). With dill importable it adds
the dill-based ids (``01``, ``03``, ``04``, ``sd``) and the combined ``10``, ``12`` and ``13``.
"""

import codecs
import inspect
import json
import sys


def double_delayed(x, by=2):
    import time

    # simulate a function that takes a bit of time
    time.sleep(0.01)
    return x * by


def pack_buffers(buffers):
    return "".join(["%d\n%s" % (len(b), b) for b in buffers])


def pure_source_text_inspect(fn, getsource=inspect.getsource):
    x = fn.__name__ + ":" + getsource(fn)
    return "st\n" + codecs.encode(x.encode(), "base64").decode()


def json_data(data):
    return "11\n" + json.dumps(data)


out = {
    "name": double_delayed.__name__,
    "source": inspect.getsource(double_delayed),
    "function_code": {"st": pack_buffers([pure_source_text_inspect(double_delayed)])},
    # Client.run(50, by=3, ...): args are a tuple, kwargs a dict, each serialized on its own.
    "payload": pack_buffers([json_data((50,)), json_data({"by": 3})]),
    "payload_unicode": pack_buffers([json_data(("é😀", 0.00001, [1.5, None, True])), json_data({})]),
    "dill": None,
}

try:
    import dill
except ImportError:
    dill = None

if dill is not None:

    def b64_dill(value):
        return codecs.encode(dill.dumps(value), "base64").decode()

    st = pure_source_text_inspect(double_delayed)
    sd = "sd\n" + codecs.encode((double_delayed.__name__ + ":" + dill.source.getsource(double_delayed, lstrip=True)).encode(), "base64").decode()
    c01 = "01\n" + b64_dill(double_delayed)
    c03 = "03\n" + b64_dill((double_delayed.__name__, inspect.getsource(double_delayed)))
    c04 = "04\n" + b64_dill((double_delayed.__name__, dill.source.getsource(double_delayed, lstrip=True)))
    # CombinedCode: each sub-result split after its 3-character id, everything joined by ":".
    chunks = []
    for serialized in (c04, c01, c03, sd, st):
        chunks += [serialized[:3], serialized[3:]]
    out["dill"] = dill.__version__
    out["function_code"].update(
        {
            "sd": pack_buffers([sd]),
            "01": pack_buffers([c01]),
            "03": pack_buffers([c03]),
            "04": pack_buffers([c04]),
            "10": pack_buffers(["10\n" + ":".join(chunks)]),
            "12": pack_buffers(["12\n" + pack_buffers([st, sd, c01])]),
        }
    )
    # AllDataStrategies: JSONData and DillDataBase64 of the same value, packed.
    out["payload_13"] = pack_buffers(
        [
            "13\n" + pack_buffers([json_data((50,)), "00\n" + b64_dill((50,))]),
            "13\n" + pack_buffers([json_data({"by": 3}), "00\n" + b64_dill({"by": 3})]),
        ]
    )
    out["payload_00"] = pack_buffers(["00\n" + b64_dill((50,)), "00\n" + b64_dill({"by": 3})])

json.dump(out, sys.stdout)
