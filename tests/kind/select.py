"""Draws the sentences of tests/kind/tagged.csv: 150 from each development set, at random with a fixed
seed, each named by its row id and character offsets (never copied). Run from the repository root:
python3 tests/kind/select.py ../shared/data > /tmp/sentences.txt (prints them, to be tagged by hand).

`python3 tests/kind/select.py ../shared/data 2` draws the second round (tests/kind/tagged2.csv): 100
more from each set with another seed, none already in the first round, each dealt at random to the
`rules` part (read when writing rules) or the `held_out` part (only ever measured).

`python3 tests/kind/select.py ../shared/data 3` draws the third round (tests/kind/tagged3.csv): 120
more from each set with a third seed, none from the earlier rounds, all held out.

`python3 tests/kind/select.py ../shared/data 4` draws the fourth round (tests/kind/tagged4.csv): 150
more from each set with a fourth seed, none from the earlier rounds, all held out from the rules
committed before it was drawn (session 12)."""
import csv
import random
import re
import sys

SETS = [("granddebat", "granddebat_demarches_6questions.csv"), ("an", "an_questions_gouvernement_l16.csv")]
# A sentence: up to . ! ? … followed by a space and a capital (or the end of the text).
END = re.compile(r"[.!?…]+[»\")]*(?=\s+[A-ZÀ-ÖØ-Ý«\"]|\s*$)")


def sentences(text):
    start = 0
    for m in END.finditer(text):
        yield start, m.end()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def candidates(name, rows, skip=frozenset()):
    """Every sentence of 4 to 60 words, as (row id, start, end), in the file's order."""
    pool = []
    for row in rows:
        text = row["text"]
        for a, b in sentences(text):
            while a < b and text[a].isspace():
                a += 1
            if 4 <= len(text[a:b].split()) <= 60 and (name, row["id"], str(a)) not in skip:
                pool.append((row["id"], a, b))
    return pool


def main(data, round_=1):
    if round_ >= 2:
        return later_round(data, round_)
    rng = random.Random(20261130)
    for name, file in SETS:
        rows = list(csv.DictReader(open(f"{data}/{file}", encoding="utf-8")))
        for row_id, a, b in sorted(rng.sample(candidates(name, rows), 150), key=lambda p: (p[0], p[1])):
            text = next(r["text"] for r in rows if r["id"] == row_id)
            print(f"{name},{row_id},{a},{b}\t{text[a:b]!r}")


def later_round(data, round_):
    earlier = ["tests/kind/tagged.csv"] + [f"tests/kind/tagged{r}.csv" for r in range(2, round_)]
    skip = {tuple(l.split(",")[:3]) for f in earlier for l in open(f) if not l.startswith("#")}
    rng = random.Random({2: 20261207, 3: 20261208, 4: 20261209}[round_])
    count = {2: 100, 3: 120, 4: 150}[round_]
    for name, file in SETS:
        rows = list(csv.DictReader(open(f"{data}/{file}", encoding="utf-8")))
        drawn = sorted(rng.sample(candidates(name, rows, skip), count), key=lambda p: (p[0], p[1]))
        parts = [rng.choice(["rules", "held_out"]) if round_ == 2 else "held_out" for _ in drawn]
        for (row_id, a, b), part in zip(drawn, parts):
            text = next(r["text"] for r in rows if r["id"] == row_id)
            print(f"{name},{row_id},{a},{b},{part}\t{text[a:b]!r}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
