"""CI check of report.docx and report.odt (run by .ci/run on the first command's output).

LibreOffice has converted both to PDF in DIR/pdf-docx and DIR/pdf-odt (headless), and pdftotext
their text. Checks: every chapter title of report.md is in both PDFs; the first quote of the
first ten themes is in both, verbatim; python-docx finds every chapter title as a paragraph of
style Heading 1, the themes as Heading 2, and the document's title and run id in its properties.

    python tests/office/check.py out
"""
import csv
import json
import re
import sys
from pathlib import Path

from docx import Document


def norm(text):
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def main():
    out = Path(sys.argv[1])
    md = (out / "report.md").read_text(encoding="utf-8")
    chapters = [norm(line[3:]) for line in md.splitlines() if line.startswith("## ")]
    with open(out / "themes.csv", encoding="utf-8") as f:
        themes = list(csv.DictReader(f))
    quotes = [t["quotes"].split(" | ")[0] for t in themes[:10] if t["quotes"]]
    for kind in ("docx", "odt"):
        text = norm((out / f"pdf-{kind}" / "report.txt").read_text(encoding="utf-8"))
        missing = [c for c in chapters if c not in text]
        assert not missing, f"report.{kind}: chapters missing from the PDF: {missing}"
        missing = [q for q in quotes if norm(q) not in text]
        assert not missing, f"report.{kind}: quotes missing from the PDF: {missing}"
        print(f"report.{kind}: {len(chapters)} chapters and {len(quotes)} quotes found in its PDF")
    doc = Document(out / "report.docx")
    styled = [(p.style.name, norm(p.text)) for p in doc.paragraphs]
    h1 = {t for s, t in styled if s == "Heading 1"}
    missing = [c for c in chapters if c not in h1]
    assert not missing, f"report.docx: chapters not in Heading 1: {missing}"
    h2 = [t for s, t in styled if s == "Heading 2"]
    assert len(h2) >= len(themes), f"{len(h2)} Heading 2 for {len(themes)} themes"
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    props = doc.core_properties
    assert props.title and props.identifier == run["run_id"], (props.title, props.identifier)
    print(f"python-docx: {len(h1)} Heading 1, {len(h2)} Heading 2, title {props.title!r}, run {props.identifier}")


if __name__ == "__main__":
    main()
