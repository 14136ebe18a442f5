"""Few-shot and `none` methods measured and dropped (METHODS.md, "Categories"), and the ceilings that
bound the few-shot curve: the figures `cargo run --release -p xtask -- bench mapping` does not print,
because the methods are not in the tool. Same data, taxonomies and vectors as the tool (`verbatim
embed`); the tool's label-free and few-shot mappings re-implemented in numpy.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pyarrow scipy scikit-learn
    /tmp/venv/bin/python tests/mapping/few_shot.py VERBATIM_BINARY ../shared/data WORKDIR
"""
import sys, warnings
from pathlib import Path
import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from experiments import SETS, dataset, label_free, macro_f1, std, unit

warnings.filterwarnings("ignore")
SIZES, DRAWS = (5, 20, 50), range(1, 11)

def softmax(a): e = np.exp(a - a.max(1, keepdims=True)); return e / e.sum(1, keepdims=True)

def confident(z, skip=(), share=0.5, at_least=5):
    s = np.sort(z, axis=1); margin = s[:, -1] - s[:, -2]; best = z.argmax(1); sel = []; skip = set(skip)
    for k in range(z.shape[1]):
        m = np.array([r for r in np.where(best == k)[0] if r not in skip], dtype=int)
        o = m[np.argsort(-margin[m], kind="stable")]
        sel += [(int(r), k) for r in o[:min(max(int(np.ceil(len(m) * share)), at_least), len(m))]]
    return sel

def lda(xc, sel, c, shrink=0.5, means=None):
    r = np.array([s[0] for s in sel]); k = np.array([s[1] for s in sel])
    m = np.stack([xc[r[k == j]].mean(0) for j in range(c)]) if means is None else means
    res = xc[r] - m[k]; cov = res.T @ res / (len(r) - c); tr = np.trace(cov) / cov.shape[0]
    w = np.linalg.solve((1 - shrink) * cov + shrink * tr * np.eye(cov.shape[0]), m.T)
    return xc @ w - 0.5 * np.sum(m.T * w, axis=0)

def class_means(xc, sel, c):
    r = np.array([s[0] for s in sel]); k = np.array([s[1] for s in sel])
    return np.stack([xc[r[k == j]].mean(0) for j in range(c)]), np.bincount(k, minlength=c)

def kept(xc, pc, lf, tags, c):
    return std(lda(xc, confident(lf, {t[0] for t in tags}, at_least=0) + tags * 5, c))

def one_more_round(xc, pc, lf, tags, c):
    z = kept(xc, pc, lf, tags, c)
    return std(lda(xc, confident(z, {t[0] for t in tags}, at_least=0) + tags * 5, c))

def prior_means(xc, pc, lf, tags, c, kappa=10):
    tagged = {t[0] for t in tags}; conf = confident(lf, tagged, at_least=0)
    mu, _ = class_means(xc, conf, c); tm, tn = class_means(xc, tags, c)
    z = std(lda(xc, conf + tags, c, means=(tn[:, None] * tm + kappa * mu) / (tn[:, None] + kappa)))
    return std(lda(xc, confident(z, tagged, at_least=0) + tags * 5, c))

def soft_em(xc, pc, lf, tags, c, w=5, temp=0.5, iters=3, shrink=0.5):
    z = lf; r = np.array([t[0] for t in tags]); k = np.array([t[1] for t in tags])
    for _ in range(iters):
        R = softmax(z / temp); R[r] = 0; np.add.at(R, (r, k), w)
        nk = R.sum(0); m = (R.T @ xc) / nk[:, None]; cov = np.zeros((xc.shape[1],) * 2)
        for j in range(c):
            d = xc - m[j]; cov += (d * R[:, j:j + 1]).T @ d
        cov /= R.sum() - c; tr = np.trace(cov) / cov.shape[0]
        W = np.linalg.solve((1 - shrink) * cov + shrink * tr * np.eye(cov.shape[0]), m.T)
        z = std(xc @ W - 0.5 * np.sum(m.T * W, axis=0))
    return z

def prior_offset(xc, pc, lf, tags, c, lam=0.03):
    r = np.array([t[0] for t in tags]); n, dim = len(r), xc.shape[1]
    X, P, Y = xc[r], lf[r], np.eye(c)[[t[1] for t in tags]]
    def f(th):
        W = th[1:1 + dim * c].reshape(dim, c); b = th[1 + dim * c:]; S = softmax(th[0] * P + X @ W + b)
        G = (S - Y) / n
        loss = -np.sum(Y * np.log(S + 1e-12)) / n + lam / 2 * np.sum(W * W) + np.sum(b * b) / 2
        return loss, np.concatenate([[np.sum(G * P)], (X.T @ G + lam * W).ravel(), G.sum(0) + b])
    th0 = np.zeros(1 + dim * c + c); th0[0] = 1
    th = minimize(f, th0, jac=True, method="L-BFGS-B").x
    return th[0] * lf + xc @ th[1:1 + dim * c].reshape(dim, c) + th[1 + dim * c:]

def rebuilt_prototypes(xc, pc, lf, tags, c, alpha=2.0):
    tagged = {t[0] for t in tags}; tm, _ = class_means(xc, tags, c); z = std(xc @ unit(alpha * pc + unit(tm)).T)
    for _ in range(2): z = std(lda(xc, confident(z, tagged, at_least=0) + tags * 5, c))
    return z

METHODS = {"kept (LDA, confident + tags x5)": kept, "one more round": one_more_round,
           "class means as a prior (kappa 10), one round": prior_means, "soft EM, temperature 0.5": soft_em,
           "logistic with label-free offset": prior_offset, "prototypes rebuilt with the tags": rebuilt_prototypes}

def draw(y, c, n, seed):
    rng = np.random.default_rng(seed); tags = []
    for k in range(c):
        pool = np.where(y == k)[0]
        tags += [(int(r), k) for r in rng.choice(pool, min(n, len(pool) // 2), replace=False)]
    return tags

def ceilings(x, xc, y, c):
    folds = np.arange(len(y)) % 5; np.random.default_rng(0).shuffle(folds)
    lr = macro_f1(y, cross_val_predict(LogisticRegression(max_iter=3000), xc, y, cv=5), c)
    out = []
    for shrink in (0.3, 0.5, 0.8):
        pred = np.zeros(len(y), int)
        for f in range(5):
            pred[folds == f] = lda(xc, [(int(i), int(y[i])) for i in np.where(folds != f)[0]], c, shrink).argmax(1)[folds == f]
        out.append(macro_f1(y, pred, c))
    return lr, out

def none_rules(xc, pc, y, c):
    def robust(r): med = np.median(r); return med, 1.4826 * np.median(np.abs(r - med)) + 1e-12
    def auto(r): med, mad = robust(r); return r < min(med - 2 * mad, np.sort(r)[int(0.03 * len(r))])
    def per_category(S):
        r, a, out = S.max(1), S.argmax(1), np.zeros(len(S), bool)
        for j in range(S.shape[1]):
            m = a == j
            if m.sum() >= 5: med, mad = robust(r[m]); out[m] = r[m] < med - 2 * mad
        return out
    def upper_half(r): med = np.median(r); return r < min(-0.05, med - 2 * 1.4826 * np.median(r[r > med] - med))
    rules = {"auto (kept)": lambda S: auto(S.max(1)), "robust z within each category": per_category,
             "spread from the upper half": lambda S: upper_half(S.max(1)),
             "-0.05 capped at the 3rd percentile": lambda S: S.max(1) < min(-0.05, np.quantile(S.max(1), 0.03))}
    S = xc @ pc.T
    for name, rule in rules.items():
        caught = [np.mean(rule(S[:, [i for i in range(c) if i != j]])[y == j]) for j in range(c)]
        print(f"  none {name}: lost {np.mean(rule(S)):.3f}, left-out caught {np.mean(caught):.3f}")

def main(binary, shared, work):
    work = Path(work); work.mkdir(parents=True, exist_ok=True)
    for name in SETS:
        d = dataset(binary, shared, work, name); x, p, y, c = d["x"], d["p"], d["y"], len(d["cats"])
        mean = x.mean(0); xc, pc = unit(x - mean), unit(p - mean); lf = label_free(xc, pc)
        lr, ldas = ceilings(x, xc, y, c)
        print(f"{name}: label-free {macro_f1(y, lf.argmax(1), c):.3f}; all labels, 5-fold: logistic regression {lr:.3f}, shrunk LDA {' / '.join(f'{v:.3f}' for v in ldas)}")
        none_rules(xc, pc, y, c)
        for method, f in METHODS.items():
            line = []
            for n in SIZES:
                scores = []
                for seed in DRAWS:
                    tags = draw(y, c, n, seed); keep = np.ones(len(y), bool); keep[[t[0] for t in tags]] = False
                    scores.append(macro_f1(y[keep], f(xc, pc, lf, tags, c).argmax(1)[keep], c))
                line.append(f"{np.mean(scores):.3f}")
            print(f"  {method}: {' / '.join(line)} at {' / '.join(map(str, SIZES))} tags per category", flush=True)

if __name__ == "__main__":
    main(*sys.argv[1:4])
