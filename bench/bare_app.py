"""The baseline for bench/scan.py: one bare Flask route returning a small JSON, nothing else."""

from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return {"ok": True, "n": 1}
