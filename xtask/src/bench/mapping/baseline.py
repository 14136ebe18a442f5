"""The scikit-learn baseline of `cargo run --release -p xtask -- bench mapping`: LogisticRegression
fitted on verbatim's own vectors with the tags of each draw, as a data scientist would try first
(defaults; and the same after StandardScaler, which the unit vectors need on long texts).

    python baseline.py VECTORS.parquet DRAWS.json OUT.json

DRAWS.json: {"ids": [row ids in input order], "draws": [{"rows": [...], "labels": [...]}]}.
OUT.json: for each draw, the predicted label of every row under each model.
"""
import json
import sys

import numpy as np
import pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

vectors, draws, out = sys.argv[1:4]
table = pq.read_table(vectors).to_pydict()
position = {i: r for r, i in enumerate(table["id"])}
spec = json.load(open(draws))
x = np.array(table["embedding"], dtype=np.float64)[[position[i] for i in spec["ids"]]]
result = []
for draw in spec["draws"]:
    rows, labels = np.array(draw["rows"]), np.array(draw["labels"])
    models = {
        "default": LogisticRegression(max_iter=5000),
        "standardised": make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
    }
    result.append({name: m.fit(x[rows], labels).predict(x).tolist() for name, m in models.items()})
json.dump(result, open(out, "w"))
