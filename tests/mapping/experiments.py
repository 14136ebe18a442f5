"""Mapping methods measured and dropped (METHODS.md, "Categories"): the figures that are not printed by
`cargo run --release -p xtask -- bench mapping`, because the methods are not in the tool. Same data, same taxonomies,
same vectors as the tool (written by `verbatim embed`), the tool's label-free mapping re-implemented
here in numpy (its figures match the bench's: 0.831 and 0.527 with `none` off).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pyarrow
    /tmp/venv/bin/python tests/mapping/experiments.py VERBATIM_BINARY ../shared/data WORKDIR

Prints, for both development sets: the lexical prior (TF-IDF of each category's description words)
added to the zero-shot scores before self-training; label propagation over the 10 or 30 nearest
testimonies after self-training; `none` signals against left-out categories (area under the ROC
curve, and the share caught when 3% of the others are lost); few-shot tag weight and an extra
self-training round after the tags.
"""
import collections, csv, re, subprocess, sys, tomllib, unicodedata
from pathlib import Path
import numpy as np, pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
SETS = {"granddebat": ("granddebat_demarches_6questions.csv", "granddebat_demarches.toml"),
        "questions": ("an_questions_gouvernement_l16.csv", "an_ministeres.toml")}

def fold(s): return unicodedata.normalize("NFKD", s.lower()).encode("ascii", "ignore").decode()
def unit(a): return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
def std(z): return (z - z.mean(0)) / np.maximum(z.std(0), 1e-9)

def embed(binary, csv_path, out):
    if not out.exists():
        subprocess.run([binary, "-q", "embed", "--input", csv_path, "--out", out], check=True)
    t = pq.read_table(out).to_pydict()
    return t["id"], np.array(t["embedding"], dtype=np.float64)

def dataset(binary, shared, work, name):
    data, tax = SETS[name]
    rows = {r["id"]: r for r in csv.DictReader(open(Path(shared) / data))}
    cats = tomllib.load(open(ROOT / "tests/taxonomies" / tax, "rb"))["category"]
    desc = work / f"{name}-descriptions.csv"
    with open(desc, "w", newline="") as f:
        w = csv.writer(f); w.writerow(["id", "text"])
        for c in cats: w.writerow([c["id"], f'{c["name"]}. {c["description"]}'])
    ids, x = embed(binary, Path(shared) / data, work / f"{name}.parquet")
    _, p = embed(binary, desc, work / f"{name}-descriptions.parquet")
    label = {fold(c["id"]): k for k, c in enumerate(cats)} | {fold(c["name"]): k for k, c in enumerate(cats)}
    y = np.array([label[fold(rows[i]["label"])] for i in ids])
    return dict(x=x, p=p, y=y, texts=[rows[i]["text"] for i in ids], cats=cats)

def macro_f1(y, p, c):
    f = []
    for k in range(c):
        tp, fp, fn = np.sum((p == k) & (y == k)), np.sum((p == k) & (y != k)), np.sum((p != k) & (y == k))
        f.append(0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f))

def confident(z, share=0.5, at_least=5):
    s = np.sort(z, axis=1); margin = s[:, -1] - s[:, -2]; best = z.argmax(1); sel = []
    for k in range(z.shape[1]):
        m = np.where(best == k)[0]; o = m[np.argsort(-margin[m], kind="stable")]
        sel += [(r, k) for r in o[:min(max(int(np.ceil(len(m) * share)), at_least), len(m))]]
    return sel

def lda(xc, sel, c, shrink=0.5):
    r = np.array([s[0] for s in sel]); k = np.array([s[1] for s in sel])
    m = np.stack([xc[r[k == j]].mean(0) for j in range(c)]); res = xc[r] - m[k]
    cov = res.T @ res / (len(r) - c); tr = np.trace(cov) / cov.shape[0]
    w = np.linalg.solve((1 - shrink) * cov + shrink * tr * np.eye(cov.shape[0]), m.T)
    return xc @ w - 0.5 * np.sum(m.T * w, axis=0)

def label_free(xc, pc, z0=None, rounds=2):
    z = std(xc @ pc.T) if z0 is None else z0
    for _ in range(rounds): z = std(lda(xc, confident(z), pc.shape[0]))
    return z

STOP = set("le la les de des du un une et ou a au aux en dans pour par sur avec sans que qui ne pas plus est sont ce cette ces son sa ses leur leurs il elle on nous vous ils je se".split())
def words(s): return [w[:6] for w in re.findall(r"[a-z]+", fold(s)) if len(w) > 2 and w not in STOP]

def lexical(texts, descs):
    docs = [collections.Counter(words(t)) for t in texts]
    df = collections.Counter(w for d in docs for w in d); n = len(docs)
    idf = {w: np.log((n + 1) / (df[w] + 1)) + 1 for w in df}
    out = np.zeros((n, len(descs)))
    for i, d in enumerate(docs):
        norm = np.sqrt(sum((1 + np.log(v)) ** 2 * idf[w] ** 2 for w, v in d.items())) or 1
        for k, ws in enumerate(set(words(x)) for x in descs):
            out[i, k] = sum((1 + np.log(d[w])) * idf[w] ** 2 for w in ws if w in d) / norm
    return out

def auc(pos, neg):
    s = np.concatenate([pos, neg]); r = s.argsort().argsort() + 1
    return float((np.sum(r[len(pos):]) - len(neg) * (len(neg) + 1) / 2) / (len(pos) * len(neg)))

def methods(d, xc, pc, knn):
    c, y = len(d["cats"]), d["y"]
    descs = [f'{t["name"]}. {t["description"]}' for t in d["cats"]]
    lex, s0 = std(lexical(d["texts"], descs)), std(xc @ pc.T)
    for w in (0, 0.25, 0.5, 1.0):
        z = label_free(xc, pc, z0=std(s0 + w * lex))
        line = f"  lexical prior weight {w}: label-free {macro_f1(y, z.argmax(1), c):.3f}"
        for k in (10, 30):
            line += f", then propagation over {k} neighbours {macro_f1(y, (0.5 * z + 0.5 * z[knn[:, :k]].mean(1)).argmax(1), c):.3f}"
        print(line)

def none_signals(d, xc, pc, knn):
    c, y = len(d["cats"]), d["y"]; res = collections.defaultdict(list)
    for k in range(c):
        s = xc @ pc[[j for j in range(c) if j != k]].T; rel = s.max(1)
        z = label_free(xc, pc[[j for j in range(c) if j != k]]); e = np.exp(z - z.max(1, keepdims=True))
        for name, v in {"relevance (kept)": rel, "relevance minus 3/4 of the mean cosine": rel - 0.75 * s.mean(1),
                        "relevance, mean of the 10 nearest": rel[knn[:, :10]].mean(1),
                        "probability of the best category": (e / e.sum(1, keepdims=True)).max(1)}.items():
            res[name].append((auc(v[y == k], v[y != k]), np.mean(v[y == k] < np.quantile(v[y != k], 0.03))))
    for name, v in res.items():
        a = np.array(v); print(f"  none signal {name}: AUC {a[:, 0].mean():.3f}, caught at 3% lost {a[:, 1].mean():.3f}")

def few_shot(d, xc, pc):
    c, y = len(d["cats"]), d["y"]; z0 = label_free(xc, pc); size = 20 if len(y) > 1000 else 5
    for weight, rounds in ((5, 0), (20, 0), (50, 0), (5, 1)):
        f = []
        for seed in (1, 2, 3):
            rng = np.random.default_rng(seed); tags = []
            for k in range(c):
                pool = np.where(y == k)[0]
                tags += [(int(r), k) for r in rng.choice(pool, min(size, len(pool) // 2), replace=False)]
            tagged = {r for r, _ in tags}; z = z0
            for _ in range(rounds + 1):
                z = std(lda(xc, [s for s in confident(z) if s[0] not in tagged] + tags * weight, c))
            keep = np.array([i not in tagged for i in range(len(y))])
            f.append(macro_f1(y[keep], z.argmax(1)[keep], c))
        print(f"  few-shot, {size} random tags per category, weight {weight}, extra rounds {rounds}: {np.mean(f):.3f}")

def main(binary, shared, work):
    work = Path(work); work.mkdir(parents=True, exist_ok=True)
    for name in SETS:
        d = dataset(binary, shared, work, name); x, p, y, c = d["x"], d["p"], d["y"], len(d["cats"])
        mean = x.mean(0); xc, pc = unit(x - mean), unit(p - mean)
        g = xc @ xc.T; np.fill_diagonal(g, -9); knn = np.argsort(-g, axis=1)[:, :30]
        print(f"{name}: zero-shot {macro_f1(y, (x @ p.T).argmax(1), c):.3f}, label-free {macro_f1(y, label_free(xc, pc).argmax(1), c):.3f}")
        methods(d, xc, pc, knn); none_signals(d, xc, pc, knn); few_shot(d, xc, pc)

if __name__ == "__main__":
    main(*sys.argv[1:4])
