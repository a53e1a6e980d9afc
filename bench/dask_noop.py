"""The throughput peer: Dask distributed on this machine, the same no-op, the same worker count.

Usage: python3 dask_noop.py <tasks> <workers> <repeats>
Prints one JSON line: {"tasks_per_second": [...], "workers": n, "version": "..."}.
"""
import json
import sys
import time

from dask.distributed import Client, LocalCluster
import distributed


def double(x):
    return x * 2


def main():
    tasks, workers, repeats = (int(a) for a in sys.argv[1:4])
    # One thread per worker process, as funcx-rx's endpoint runs one task per worker at a time.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(double, 1).result()  # warm up
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            futures = client.map(double, range(tasks), pure=False)
            results = client.gather(futures)
            elapsed = time.perf_counter() - start
            assert results[-1] == (tasks - 1) * 2
            rates.append(tasks / elapsed)
    print(json.dumps({"tasks_per_second": rates, "workers": workers, "version": distributed.__version__}))


if __name__ == "__main__":
    main()
