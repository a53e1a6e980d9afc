"""The DAG peer: the bench's diamond DAG (bench/scenarios/dag.ts) on Dask distributed.

Each diamond is a root `double(1)`, `width` tasks `add(root, i)` that take the root's future,
and a sink `total(*mids)` that takes all of theirs (a fan-in). `diamonds` of them are submitted
at once; the futures are passed as arguments, so Dask moves the values between its workers.

Usage: python3 dask_dag.py <diamonds> <width> <workers> <repeats>
Prints one JSON line: {"tasks_per_second": [...], "tasks": n, "workers": n, "version": "..."}.
"""
import json
import sys
import time

from dask.distributed import Client, LocalCluster
import distributed


def double(x):
    return x * 2


def add(x, i):
    return x + i


def total(*xs):
    return sum(xs)


def main():
    diamonds, width, workers, repeats = (int(a) for a in sys.argv[1:5])
    expected = 2 * width + width * (width - 1) // 2
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(double, 1).result()  # warm up
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            sinks = []
            for _ in range(diamonds):
                root = client.submit(double, 1, pure=False)
                mids = [client.submit(add, root, i, pure=False) for i in range(width)]
                sinks.append(client.submit(total, *mids, pure=False))
            results = client.gather(sinks)
            elapsed = time.perf_counter() - start
            assert all(r == expected for r in results), results[:3]
            rates.append(diamonds * (width + 2) / elapsed)
    print(json.dumps({"tasks_per_second": rates, "tasks": diamonds * (width + 2), "workers": workers, "version": distributed.__version__}))


if __name__ == "__main__":
    main()
