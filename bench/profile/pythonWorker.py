"""Where a CPython worker's time goes per task in a micro-batch, in process, without the endpoint.

    /usr/bin/python3 bench/profile/pythonWorker.py [tasks]

Runs worker.py's run_batch over that many no-op tasks (default 5,000) as the endpoint sends them
(JSONData arguments, a task id, a credit, a sandbox directory), prints the microseconds per task,
then the same run under cProfile, by self time. Outcomes go to a list, not a pipe.
"""

import base64
import cProfile
import io
import json
import os
import pstats
import sys
import time
from collections import OrderedDict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib", "endpoint", "python"))
sys.argv = sys.argv[:2]
import worker  # noqa: E402


def pack(buffers):
    """lib/serialize/pack.ts: each buffer as its length, a newline, then the buffer."""
    return "".join("%d\n%s" % (len(b), b) for b in buffers)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    source = "noop:def noop(x):\n    return x * 2\n"
    code = pack(["st\n" + base64.b64encode(source.encode()).decode() + "\n"])
    channel = worker.Channel(os.open(os.devnull, os.O_RDONLY))
    sent = []
    tasks = [
        {"function_id": "noop", "payload": pack(["11\n[%d]" % i, "11\n{}"]), "task_id": "t%d" % i, "options": None,
         "sandbox_dir": "/tmp", "mpi_launcher": "mpiexec", "credit": {"count": 100, "bytes": 1000000}}
        for i in range(count)
    ]
    line = json.dumps({"batch": {"code": {"noop": code}, "tasks": tasks, "id": 1}})

    def run():
        sent.clear()
        worker.run_batch(json.loads(line)["batch"], OrderedDict(), 10_000_000, channel, lambda *m: sent.append(m))
        assert len(sent) == count and "result" in sent[0][0], sent[0]

    run()  # loads the function
    started = time.perf_counter()
    run()
    print("%.1f µs per task (%d no-op tasks in one batch)" % ((time.perf_counter() - started) / count * 1e6, count))
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


if __name__ == "__main__":
    main()
