"""Reports: per-document top terms and a corpus summary, as CSV, JSON or one HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import scipy.sparse as sp

from bricolage.tfidf._explain import (
    CorpusSummary,
    FeatureNames,
    TermStat,
    TermWeight,
    summarize,
    top_terms,
)
from bricolage.tfidf._weighting import as_csr
from bricolage.tfidf.errors import ConfigurationError

__all__ = ["DocumentTerms", "Report"]

REPORT_FORMAT = "bricolage-tfidf-report"
REPORT_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class DocumentTerms:
    """One document of a report: its id, how many distinct terms it has, its top terms.

    >>> from bricolage.tfidf import DocumentTerms, TermWeight
    >>> DocumentTerms("a.txt", 3, (TermWeight("cat", 0.9),)).top[0].term
    'cat'
    """

    document: str
    n_terms: int
    top: tuple[TermWeight, ...]


def _cell(text: str) -> str:
    """Neutralise a spreadsheet formula at the start of a CSV cell."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _stat_json(stat: TermStat) -> dict[str, object]:
    return {
        "term": stat.term,
        "document_frequency": stat.document_frequency,
        "document_share": stat.document_share,
        "total_weight": stat.total_weight,
    }


@dataclass(frozen=True, slots=True)
class Report:
    """What a weighted corpus says: top terms per document and a corpus summary.

    Build one with :meth:`from_matrix`, export it with :meth:`to_csv`, :meth:`to_json`,
    :meth:`to_html` or :meth:`write`.

    >>> from bricolage.tfidf import Report, TfidfVectorizer
    >>> vectorizer = TfidfVectorizer()
    >>> matrix = vectorizer.fit_transform(["cat sat", "dog sat"])
    >>> report = Report.from_matrix(matrix, vectorizer.get_feature_names_out(), ["a", "b"])
    >>> report.documents[0].top[0].term
    'cat'
    >>> report.to_csv().splitlines()[:2]
    ['document,rank,term,weight', 'a,1,cat,0.8148024746671689']
    """

    title: str
    documents: tuple[DocumentTerms, ...]
    summary: CorpusSummary
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_matrix(
        cls,
        matrix: sp.spmatrix | sp.sparray,
        feature_names: FeatureNames,
        document_ids: Sequence[str] | None = None,
        *,
        k: int = 10,
        title: str = "TF-IDF report",
        settings: dict[str, object] | None = None,
    ) -> Report:
        """Build a report from a document-term ``matrix`` and its column names.

        >>> from bricolage.tfidf import Report, TfidfVectorizer
        >>> vectorizer = TfidfVectorizer()
        >>> matrix = vectorizer.fit_transform(["one two", "two three"])
        >>> Report.from_matrix(matrix, vectorizer.get_feature_names_out()).documents[1].document
        '1'
        """
        n_docs = as_csr(matrix).shape[0]
        ids = [str(i) for i in range(n_docs)] if document_ids is None else list(document_ids)
        if len(ids) != n_docs:
            raise ConfigurationError(
                f"{len(ids)} document ids were given for a matrix of {n_docs} rows"
            )
        tops = top_terms(matrix, feature_names, k)
        sizes = as_csr(matrix).getnnz(axis=1)
        documents = tuple(
            DocumentTerms(doc_id, int(size), tuple(top))
            for doc_id, size, top in zip(ids, sizes.tolist(), tops, strict=True)
        )
        shown = tuple((str(key), repr(value)) for key, value in (settings or {}).items())
        return cls(title, documents, summarize(matrix, feature_names, max(k, 20)), shown)

    # -- CSV and JSON -------------------------------------------------------------------------

    def to_csv(self) -> str:
        """One line per (document, rank): ``document,rank,term,weight``.

        Cells that a spreadsheet would read as a formula get a leading ``'``.

        >>> from bricolage.tfidf import DocumentTerms, Report, TermWeight, summarize
        >>> import scipy.sparse as sp
        >>> doc = DocumentTerms("=cmd", 1, (TermWeight("x", 1.0),))
        >>> Report("t", (doc,), summarize(sp.csr_matrix((1, 1)), ["x"])).to_csv().splitlines()[1]
        "'=cmd,1,x,1.0"
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["document", "rank", "term", "weight"])
        for doc in self.documents:
            for rank, term in enumerate(doc.top, start=1):
                writer.writerow([_cell(doc.document), rank, _cell(term.term), repr(term.weight)])
        return out.getvalue()

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready values (the structure :meth:`to_json` writes).

        >>> from bricolage.tfidf import Report, TfidfVectorizer
        >>> vectorizer = TfidfVectorizer()
        >>> matrix = vectorizer.fit_transform(["one two"])
        >>> Report.from_matrix(matrix, vectorizer.get_feature_names_out()).to_dict()["format"]
        'bricolage-tfidf-report'
        """
        summary = self.summary
        return {
            "format": REPORT_FORMAT,
            "version": REPORT_VERSION,
            "title": self.title,
            "settings": dict(self.settings),
            "summary": {
                "n_documents": summary.n_documents,
                "n_terms": summary.n_terms,
                "n_nonzero": summary.n_nonzero,
                "density": summary.density,
                "mean_terms_per_document": summary.mean_terms_per_document,
                "empty_documents": summary.empty_documents,
                "common": [_stat_json(s) for s in summary.common],
                "distinctive": [_stat_json(s) for s in summary.distinctive],
                "df_histogram": [
                    {"bucket": label, "terms": count} for label, count in summary.df_histogram
                ],
            },
            "documents": [
                {
                    "document": doc.document,
                    "n_terms": doc.n_terms,
                    "top_terms": [{"term": t.term, "weight": t.weight} for t in doc.top],
                }
                for doc in self.documents
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON document (``format``, ``version``, ``summary``, ``documents``).

        >>> from bricolage.tfidf import Report, TfidfVectorizer
        >>> import json
        >>> vectorizer = TfidfVectorizer()
        >>> matrix = vectorizer.fit_transform(["one two"])
        >>> data = json.loads(Report.from_matrix(matrix, ["one", "two"]).to_json())
        >>> data["documents"][0]["top_terms"][0]["term"]
        'one'
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    # -- HTML ------------------------------------------------------------------------------------

    def to_html(self) -> str:
        """One self-contained HTML page: figures, SVG charts and a table per document.

        Every text is escaped; the page loads nothing from elsewhere (no script, no link).

        >>> from bricolage.tfidf import Report, TfidfVectorizer
        >>> vectorizer = TfidfVectorizer()
        >>> matrix = vectorizer.fit_transform(["<b>bold</b> move", "move on"])
        >>> page = Report.from_matrix(matrix, vectorizer.get_feature_names_out()).to_html()
        >>> page.startswith("<!DOCTYPE html>"), "<svg" in page, "http" in page.split("<body")[0]
        (True, True, False)
        """
        esc = html.escape
        summary = self.summary
        figures = [
            ("documents", f"{summary.n_documents:,}"),
            ("terms", f"{summary.n_terms:,}"),
            ("non-zero weights", f"{summary.n_nonzero:,}"),
            ("density", f"{summary.density:.4%}"),
            ("distinct terms per document", f"{summary.mean_terms_per_document:.1f}"),
            ("documents without a term", f"{summary.empty_documents:,}"),
        ]
        figure_rows = "".join(
            f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>" for name, value in figures
        )
        settings = "".join(
            f"<tr><th>{esc(name)}</th><td><code>{esc(value)}</code></td></tr>"
            for name, value in self.settings
        )
        distinctive = _bar_chart(
            [(s.term, s.total_weight) for s in summary.distinctive],
            "Most distinctive terms (total weight)",
        )
        common = _bar_chart(
            [(s.term, float(s.document_frequency)) for s in summary.common],
            "Most common terms (documents holding them)",
        )
        histogram = _column_chart(
            list(summary.df_histogram), "Terms by number of documents holding them"
        )
        doc_rows = []
        for doc in self.documents:
            peak = max((t.weight for t in doc.top), default=0.0) or 1.0
            terms = "".join(
                f'<li><span class="bar" style="width:{100 * t.weight / peak:.1f}%"></span>'
                f"<span>{esc(t.term)}</span> <small>{t.weight:.4f}</small></li>"
                for t in doc.top
            )
            doc_rows.append(
                f"<tr><td>{esc(doc.document)}</td><td>{doc.n_terms}</td>"
                f'<td><ol class="terms">{terms}</ol></td></tr>'
            )
        settings_block = f"<h2>Settings</h2><table>{settings}</table>" if self.settings else ""
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(self.title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
       color: #1d2330; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #dde2ea;
         vertical-align: top; }}
ol.terms {{ margin: 0; padding-left: 1.4rem; }}
ol.terms li {{ position: relative; }}
ol.terms .bar {{ position: absolute; left: 0; top: .15rem; bottom: .15rem;
                 background: #dbe7fb; z-index: -1; }}
small {{ color: #5b6475; }}
.charts svg {{ max-width: 100%; height: auto; margin: 1rem 0; }}
</style>
</head>
<body>
<h1>{esc(self.title)}</h1>
<h2>Corpus</h2>
<table>{figure_rows}</table>
{settings_block}
<h2>Charts</h2>
<div class="charts">
{distinctive}
{common}
{histogram}
</div>
<h2>Top terms per document</h2>
<table>
<thead><tr><th>document</th><th>terms</th><th>top terms</th></tr></thead>
<tbody>
{"".join(doc_rows)}
</tbody>
</table>
</body>
</html>
"""

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to ``path``, in the format its suffix names (.csv/.json/.html).

        The file is replaced atomically: a failure leaves any previous report intact.

        >>> from bricolage.tfidf import Report, TfidfVectorizer
        >>> import pathlib, tempfile
        >>> vectorizer = TfidfVectorizer()
        >>> report = Report.from_matrix(vectorizer.fit_transform(["one two"]), ["one", "two"])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     report.write(pathlib.Path(folder, "r.json")).suffix
        '.json'
        """
        target = Path(path)
        renderers = {".csv": self.to_csv, ".json": self.to_json, ".html": self.to_html}
        render = renderers.get(target.suffix.lower())
        if render is None:
            raise ConfigurationError(
                f"cannot tell the report format from {str(target)!r}: use a .csv, .json or "
                ".html file name"
            )
        write_atomic(target, render().encode("utf-8"))
        return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a new file beside ``target``, then move it over ``target``.

    The new file gets the usual permissions (the process umask applies); a failure at any
    point leaves ``target`` as it was.
    """
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


_PALETTE = "#3b6fd4"


def _bar_chart(items: list[tuple[str, float]], title: str) -> str:
    """A horizontal bar chart as inline SVG."""
    esc = html.escape
    label_width, bar_width, row = 180, 380, 20
    height = 34 + row * len(items)
    width = label_width + bar_width + 90
    peak = max((value for _, value in items), default=0.0) or 1.0
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">'
        ),
        f'<text x="0" y="16" font-size="14" font-weight="bold">{esc(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 28 + i * row
        length = bar_width * value / peak
        shown = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" font-size="12" '
            f'text-anchor="end">{esc(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{_PALETTE}"><title>{esc(label)}: {value:g}</title></rect>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 13}" '
            f'font-size="11">{value:.3g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _column_chart(items: list[tuple[str, int]], title: str) -> str:
    """A vertical bar chart (a histogram) as inline SVG."""
    esc = html.escape
    column, plot_height = 52, 160
    width = max(column * len(items), 9 * len(title)) + 20
    height = plot_height + 82
    peak = max((count for _, count in items), default=0) or 1
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}">'
        ),
        f'<text x="0" y="16" font-size="14" font-weight="bold">{esc(title)}</text>',
    ]
    for i, (label, count) in enumerate(items):
        bar = plot_height * count / peak
        x = 10 + i * column
        top = 42 + plot_height - bar
        parts.append(
            f'<rect x="{x}" y="{top:.1f}" width="{column - 10}" height="{bar:.1f}" '
            f'fill="{_PALETTE}"><title>{esc(label)}: {count}</title></rect>'
            f'<text x="{x + (column - 10) / 2}" y="{top - 3:.1f}" font-size="10" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{x + (column - 10) / 2}" y="{42 + plot_height + 14}" font-size="10" '
            f'text-anchor="middle">{esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
