"""The streaming use case as its seed describes it: FastAPI services calling each other over HTTP.

generator (threads) --POST /normalize--> normalizer (FastAPI: Welford scaling) --POST /ingest-->
trainer (FastAPI: sliding window, scikit-learn RandomForest refit every N records in a thread,
POST /predict) <--POST /predict-- consumer (thread, fixed rate).

Usage: stream_fastapi.py SECONDS CONSUMER_RATE [WINDOW EVERY]
Prints one JSON line: throughput of each service and the consumer's prediction latency.
"""
import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time

ROLE = os.environ.get("STREAM_ROLE")

if ROLE == "normalizer":
    from fastapi import FastAPI

    app = FastAPI()
    lock = threading.Lock()
    state = {"n": 0, "mean": [0.0, 0.0], "m2": [0.0, 0.0]}
    local = threading.local()
    trainer_port = int(os.environ["TRAINER_PORT"])

    def trainer():
        c = getattr(local, "conn", None)
        if c is None:
            c = local.conn = http.client.HTTPConnection("127.0.0.1", trainer_port)
        return c

    @app.post("/normalize")
    def normalize(rec: dict):
        x = [float(rec["age"]), float(rec["income"])]
        with lock:
            state["n"] += 1
            n = state["n"]
            z = []
            for j in range(2):
                d = x[j] - state["mean"][j]
                state["mean"][j] += d / n
                state["m2"][j] += d * (x[j] - state["mean"][j])
                sd = math.sqrt(state["m2"][j] / n)
                z.append((x[j] - state["mean"][j]) / sd if sd > 0 else 0.0)
        out = dict(rec, age_z=z[0], income_z=z[1], n=n)
        c = trainer()
        c.request("POST", "/ingest", json.dumps(out), {"content-type": "application/json"})
        r = c.getresponse()
        r.read()
        return {"ok": r.status == 200}

    @app.get("/stats")
    def stats():
        return {"n": state["n"]}

elif ROLE == "trainer":
    from collections import deque
    import numpy as np
    from fastapi import FastAPI
    from sklearn.ensemble import RandomForestRegressor

    app = FastAPI()
    window = int(os.environ.get("WINDOW", "2000"))
    every = int(os.environ.get("EVERY", "500"))
    rows = deque(maxlen=window)
    lock = threading.Lock()
    state = {"ingested": 0, "since": 0, "model": None, "version": 0, "fits": 0, "fitting": False}

    def fit():
        with lock:
            data = np.array(rows, dtype=float)
        cut = int(len(data) * 0.8)
        m = RandomForestRegressor(n_estimators=50, max_depth=8, min_samples_leaf=5, n_jobs=1, random_state=0)
        m.fit(data[:cut, :1], data[:cut, 1])
        with lock:
            state["model"] = m
            state["version"] += 1
            state["fits"] += 1
            state["fitting"] = False

    @app.post("/ingest")
    def ingest(rec: dict):
        start = False
        with lock:
            rows.append((rec["age"], rec["income"]))
            state["ingested"] += 1
            state["since"] += 1
            if state["since"] >= every and len(rows) >= 20 and not state["fitting"]:
                state["since"] = 0
                state["fitting"] = True
                start = True
        if start:
            threading.Thread(target=fit, daemon=True).start()
        return {"ok": True}

    @app.post("/predict")
    def predict(req: dict):
        m = state["model"]
        if m is None:
            from fastapi import HTTPException
            raise HTTPException(503, "no model yet")
        ages = np.array([[r["age"]] for r in req["rows"]], dtype=float)
        return {"predictions": m.predict(ages).tolist(), "version": state["version"]}

    @app.get("/stats")
    def stats():
        return {"ingested": state["ingested"], "fits": state["fits"]}

else:
    seconds = float(sys.argv[1])
    consumer_rate = float(sys.argv[2])
    window = sys.argv[3] if len(sys.argv) > 3 else "2000"
    every = sys.argv[4] if len(sys.argv) > 4 else "500"
    here = os.path.dirname(os.path.abspath(__file__))
    tport, nport = 18911, 18912

    def serve(role, port, env):
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "stream_fastapi:app", "--port", str(port), "--log-level", "warning", "--no-access-log"],
            cwd=here, env=dict(os.environ, STREAM_ROLE=role, **env))

    procs = [serve("trainer", tport, {"WINDOW": window, "EVERY": every}), serve("normalizer", nport, {"TRAINER_PORT": str(tport)})]

    def get(port, path):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path)
        return json.loads(c.getresponse().read())

    for port in (tport, nport):
        for _ in range(200):
            try:
                get(port, "/stats")
                break
            except OSError:
                time.sleep(0.05)
    try:
        stop = time.time() + seconds
        sent = [0]
        errors = [0]
        lock = threading.Lock()

        def generator(seed):
            rng = random.Random(seed)
            c = http.client.HTTPConnection("127.0.0.1", nport)
            while time.time() < stop:
                age = rng.randint(18, 80)
                rec = {"event_id": f"{seed}-{sent[0]}", "age": age, "income": 30000 + 800 * min(age, 50) * rng.lognormvariate(0, 0.2)}
                try:
                    c.request("POST", "/normalize", json.dumps(rec), {"content-type": "application/json"})
                    c.getresponse().read()
                    with lock:
                        sent[0] += 1
                except OSError:
                    errors[0] += 1
                    c = http.client.HTTPConnection("127.0.0.1", nport)

        lat = []
        answered = [0]
        failed = [0]

        def consumer():
            c = http.client.HTTPConnection("127.0.0.1", tport)
            rng = random.Random(7)
            nxt = time.time()
            while time.time() < stop:
                nxt += 1.0 / consumer_rate
                delay = nxt - time.time()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.perf_counter()
                try:
                    c.request("POST", "/predict", json.dumps({"rows": [{"age": rng.randint(18, 80)}]}), {"content-type": "application/json"})
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        lat.append((time.perf_counter() - t0) * 1000)
                        answered[0] += 1
                    else:
                        failed[0] += 1
                except OSError:
                    failed[0] += 1
                    c = http.client.HTTPConnection("127.0.0.1", tport)

        t_start = time.time()
        threads = [threading.Thread(target=generator, args=(i,)) for i in range(4)] + [threading.Thread(target=consumer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t_start
        n = get(nport, "/stats")["n"]
        tr = get(tport, "/stats")
        lat.sort()
        q = lambda p: lat[min(len(lat) - 1, int(p * (len(lat) - 1)))] if lat else None
        print(json.dumps({
            "seconds": elapsed, "generated_per_s": sent[0] / elapsed, "normalized_per_s": n / elapsed,
            "trained_on_per_s": tr["ingested"] / elapsed, "fits": tr["fits"], "answered": answered[0], "failed": failed[0],
            "predict_p50_ms": q(0.5), "predict_p99_ms": q(0.99), "generator_errors": errors[0],
        }))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
