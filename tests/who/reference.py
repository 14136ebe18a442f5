"""Reference values for tests/who.rs, computed with scipy and statsmodels (not with verbatim).

Run from the repository root with ../shared beside it:
    python tests/who/reference.py > tests/who/reference.json
Versions used for the committed file: in the file itself ("versions").

Two tables: a fixture, and the parliamentary questions' asking group (`groupe`, meta file) ×
ministry (`label`, the manual tagging), documents counted once. For each: scipy's
chi2_contingency(correction=False) (statistic, p, dof, expected), Cramér's V
(scipy.stats.contingency.association), statsmodels' adjusted standardized residuals
(Table(shift_zeros=False).standardized_resids, Haberman), their two-sided normal p-values adjusted by Holm over the
cells (multipletests), and each cell's Wilson interval of count / row total (proportion_confint).
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
import scipy
import statsmodels
from scipy.stats import chi2_contingency, norm
from scipy.stats.contingency import association
from statsmodels.stats.contingency_tables import Table
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint


def describe(rows, cols, counts):
    t = np.array(counts, dtype=float)
    stat, p, dof, expected = chi2_contingency(t, correction=False)
    resid = Table(t, shift_zeros=False).standardized_resids
    cell_p = 2 * norm.sf(np.abs(resid))
    holm = multipletests(cell_p.ravel(), method="holm")[1].reshape(t.shape)
    low, high = proportion_confint(t, t.sum(axis=1, keepdims=True), alpha=0.05, method="wilson")
    return {
        "rows": rows,
        "columns": cols,
        "counts": [[int(v) for v in r] for r in counts],
        "statistic": stat,
        "p": p,
        "dof": int(dof),
        "cramers_v": association(t.astype(int), method="cramer", correction=False),
        "expected": expected.tolist(),
        "residual": resid.tolist(),
        "p_adjusted": holm.tolist(),
        "share_low": low.tolist(),
        "share_high": high.tolist(),
    }


def questions(shared):
    data = shared / "data"
    label = {r["id"]: r["label"] for r in csv.DictReader(open(data / "an_questions_gouvernement_l16.csv", encoding="utf-8"))}
    group = {r["id"]: r["groupe"] for r in csv.DictReader(open(data / "an_questions_gouvernement_l16_meta.csv", encoding="utf-8"))}
    rows = sorted({group[i] for i in label})
    cols = sorted(set(label.values()))
    counts = [[0] * len(cols) for _ in rows]
    for i, l in label.items():
        counts[rows.index(group[i])][cols.index(l)] += 1
    return describe(rows, cols, counts)


def main():
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared")
    out = {
        "versions": {"scipy": scipy.__version__, "statsmodels": statsmodels.__version__, "numpy": np.__version__},
        "fixture": describe(
            ["syndicats", "fédérations", "usagers"],
            ["p1", "p2", "p3", "p4"],
            [[61, 12, 20, 7], [20, 34, 25, 21], [9, 11, 14, 30]],
        ),
        "questions_by_group": questions(shared),
    }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
