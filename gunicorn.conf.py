"""gunicorn settings: stateless preloaded workers, sized from the CPU count, JSON access log,
metrics added up across workers."""

import multiprocessing
import os
import shutil

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# gunicorn's threaded worker, except that a request reaches a thread only once it has
# fully arrived (backend/serving.py): a client sending slowly waits in the event loop,
# with a deadline, instead of holding the worker's one thread.
worker_class = "backend.serving.WholeRequestWorker"
# One request at a time per worker: Python threads in one process take turns on the GIL,
# and every database call hands it over, so under load a second thread added latency
# (scan p99 about twice as long at 4 threads) and no throughput. Raise it where requests
# wait on slow upstream calls (WeChat) rather than on the CPU.
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# The app is imported and built once, in the master: a worker is a fork of it, ready in
# milliseconds, so recycling a worker (max_requests) no longer costs every core a second
# of importing while its share of the traffic waits. Nothing connects to a database
# while the app is built; each worker opens its own connections.
preload_app = True
# gunicorn's control socket (gunicornc) sits under HOME by default, so two instances on one
# host would share it and answer each other's commands: each has its own, in its instance
# folder unless GUNICORN_CONTROL_SOCKET says where (deploy/citycode-web@.service).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or os.path.join(
    os.environ.get("CITYCODE_INSTANCE_DIR") or "instance", "gunicorn.ctl"
)
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycling a worker bounds a slow leak, at the price of a cold start (connections, prepared
# statements, caches). A worker's memory stayed flat over 178,000 scans (69.68 → 69.70 MB), and
# at peak one serves about 700 requests a second, so the old 5,000 recycled every worker every
# few seconds and cost a tenth of the scan's throughput; 100,000 is minutes at peak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("ACCESS_LOG", "-")
# No query strings in the access log: they can carry codes and tokens.
access_log_format = (
    '{"remote":"%(h)s","method":"%(m)s","path":"%(U)s","status":%(s)s,'
    '"bytes":%(B)s,"ms":%(M)s,"request_id":"%({x-request-id}o)s"}'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Each worker keeps its metrics in files here, and /metrics adds them up (backend/metrics.py).
# Set before the app is imported; emptied when the master starts, not when it reloads
# (SIGHUP reads this file again while the workers' files are still in use).
_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(os.environ.get("CITYCODE_INSTANCE_DIR") or "instance", "metrics"),
)
if os.environ.get("CITYCODE_METRICS_MASTER") != str(os.getpid()):
    os.environ["CITYCODE_METRICS_MASTER"] = str(os.getpid())
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    # A worker gone takes its share of the gauges of live workers (pool in use) with it;
    # its counts stay, added up with the rest.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
