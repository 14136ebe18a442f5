"""The `kind` classifier measured and dropped (METHODS.md, "Proposals of every shape"): a logistic
regression on the sentences' own vectors, trained on the first two rounds of hand tags
(tests/kind/tagged.csv, tagged2.csv), measured on the held-out third (tagged3.csv).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pyarrow scikit-learn
    /tmp/venv/bin/python tests/kind/classifier.py VERBATIM_BINARY ../shared/data WORKDIR
"""
import sys

sys.path.remove(str(__import__("pathlib").Path(__file__).resolve().parent))  # select.py here shadows the stdlib's
import csv, subprocess
from pathlib import Path
import numpy as np, pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]

def main(binary, shared, work):
    work = Path(work); work.mkdir(parents=True, exist_ok=True)
    texts = {}
    for name, f in (("granddebat", "granddebat_demarches_6questions.csv"), ("an", "an_questions_gouvernement_l16.csv")):
        for r in csv.DictReader(open(Path(shared) / f, encoding="utf-8")):
            texts[(name, r["id"])] = r["text"]
    rows = []
    for rnd, f in ((1, "tagged.csv"), (2, "tagged2.csv"), (3, "tagged3.csv")):
        lines = [l for l in open(ROOT / "tests/kind" / f, encoding="utf-8").read().splitlines() if not l.startswith("#")]
        k = lines[0].split(",").index("kind")
        for l in lines[1:]:
            x = l.split(",")
            rows.append((f"r{rnd}-{len(rows)}", texts[(x[0], x[1])][int(x[2]):int(x[3])], x[k], rnd))
    with open(work / "sentences.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh); w.writerow(["id", "text", "kind", "round"]); w.writerows(rows)
    subprocess.run([binary, "-q", "embed", "--input", work / "sentences.csv", "--text-column", "text",
                    "--out", work / "sentences.parquet"], check=True)
    t = pq.read_table(work / "sentences.parquet").to_pydict(); pos = {i: n for n, i in enumerate(t["id"])}
    x = np.array(t["embedding"])[[pos[r[0]] for r in rows]]
    y = np.array([r[2] == "proposition" for r in rows]); rnd = np.array([r[3] for r in rows])
    train, test = rnd < 3, rnd == 3
    for c in (0.3, 1, 3, 10, 30):
        for weight in (None, "balanced"):
            p = LogisticRegression(C=c, class_weight=weight, max_iter=5000).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
            for threshold in (0.3, 0.5):
                found = p > threshold; hits = int(np.sum(found & y[test]))
                print(f"C={c} class_weight={weight} threshold={threshold}: precision {hits}/{found.sum()}, recall {hits}/{y[test].sum()}")

if __name__ == "__main__":
    main(*sys.argv[1:4])
