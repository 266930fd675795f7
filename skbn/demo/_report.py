"""Writes the results (JSON, CSV), the figures (PNG) and the report (Markdown,
self-contained HTML). Every finding is computed by the experiments from the
results; this module only lays them out."""

import base64
import csv
import html
import io
import json

from ._plots import close


def write(out, sections, results, config_keys, meta):
    """Write everything into the folder ``out``.

    ``sections`` maps an experiment name to its :class:`Section`; ``results``
    to its rows; ``config_keys`` to the row keys that identify a configuration.
    """
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    _write_csv(out / "results.csv", results, config_keys)
    images = {}
    for section in sections.values():
        for fig in section.figures:
            buffer = io.BytesIO()
            # No timestamps in the file: the same results give the same bytes.
            fig.figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
            close(fig.figure)
            images[fig.name] = buffer.getvalue()
            (out / f"{fig.name}.png").write_bytes(images[fig.name])
    (out / "report.md").write_text(_markdown(sections, meta))
    (out / "report.html").write_text(_html(sections, meta, images))
    written = [*FIXED_FILES, *(f"{name}.png" for name in images)]
    (out / MANIFEST).write_text("\n".join(written) + "\n")


# What a report folder holds besides its figures, and the list of what the
# last run wrote: a later run (e.g. with --only) removes exactly those files
# first, so no figure of an earlier run sits beside a report that no longer
# mentions it, and nothing else in the folder is touched.
FIXED_FILES = ("results.json", "results.csv", "report.md", "report.html")
MANIFEST = ".skbn-report-files"


def _remove_previous(out):
    manifest = out / MANIFEST
    if not manifest.exists():
        return
    for name in manifest.read_text().split():
        # Only plain names inside ``out``: the manifest cannot point elsewhere.
        if "/" not in name and "\\" not in name and name not in ("", ".", ".."):
            (out / name).unlink(missing_ok=True)
    manifest.unlink()


def _write_csv(path, results, config_keys):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["experiment", "seed", "config", "metric", "value"])
        for name, rows in results.items():
            for row in rows:
                config = {k: row[k] for k in config_keys[name] if k in row}
                for metric, value in row.items():
                    if metric in config or metric == "seed":
                        continue
                    cells = value if isinstance(value, list) else [value]
                    for i, v in enumerate(cells):
                        label = f"{metric}[{i}]" if isinstance(value, list) else metric
                        writer.writerow([name, row["seed"], json.dumps(config), label, v])


def _intro(meta):
    n = len(meta["seeds"])
    return (
        f"Seeds: {meta['seeds']}; mode: {meta['mode']}; backend: {meta['backend']}. "
        "Every number is a mean ± standard deviation over the seeds, and every finding is "
        "a sentence computed from results.json: when the numbers change, so does the text. "
        "A finding states a difference between two settings only when the 95 % Student-t "
        f"interval of their per-seed (paired) change, over the {n} seeds, excludes zero, "
        "and says 'no clear difference' otherwise, with the interval. So every claim is as "
        f"strong as {n} seeds allow and no stronger: more seeds (--full runs 5, or "
        "--n-seeds) narrow the intervals and turn more comparisons into claims, never "
        "the reverse by construction. Beside this report: one PNG per figure, "
        "results.json and results.csv (every number behind every table and figure), and "
        f"{MANIFEST}, the list of the files this run wrote: a later run into this folder "
        "removes exactly those first, and nothing else."
    )


def _takeaways(sections):
    """The report's opening summary: the first finding of each experiment."""
    return [f"{s.title}: {s.findings[0]}" for s in sections.values() if s.findings]


def _markdown(sections, meta):
    lines = ["# skbn demonstration report", "", _intro(meta), ""]
    lines += ["**Takeaways**", "", *[f"- {t}" for t in _takeaways(sections)], ""]
    for s in sections.values():
        lines += [f"## {s.title}", "", s.intro, ""]
        for header, rows in s.tables:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            lines.append("")
        for fig in s.figures:
            lines += [f"![{fig.caption}]({fig.name}.png)", "", f"*{fig.caption}*", ""]
        if s.findings:
            lines += ["**Findings**", "", *[f"- {f}" for f in s.findings], ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}img{max-width:100%}figcaption{font-style:italic;color:#555}
.findings{background:#f6f8fa;border-left:4px solid #4a7;padding:.5em 1em}
nav li{display:inline;margin-right:1em}
"""


def _html(sections, meta, images):
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>skbn demonstration report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>skbn demonstration report</h1>",
        f"<p>{esc(_intro(meta))}</p>",
        '<div class="findings"><strong>Takeaways</strong><ul>'
        + "".join(f"<li>{esc(t)}</li>" for t in _takeaways(sections))
        + "</ul></div>",
        "<nav><ul>"
        + "".join(f'<li><a href="#{name}">{esc(s.title)}</a></li>' for name, s in sections.items())
        + "</ul></nav>",
    ]
    for name, s in sections.items():
        parts += [f'<section id="{name}">', f"<h2>{esc(s.title)}</h2>", f"<p>{esc(s.intro)}</p>"]
        for header, rows in s.tables:
            parts.append(
                "<table><thead><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in header)
                + "</tr></thead><tbody>"
            )
            parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows]
            parts.append("</tbody></table>")
        for fig in s.figures:
            data = base64.b64encode(images[fig.name]).decode("ascii")
            parts.append(
                f'<figure><img alt="{esc(fig.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(fig.caption)}</figcaption></figure>"
            )
        if s.findings:
            parts.append('<div class="findings"><strong>Findings</strong><ul>')
            parts += [f"<li>{esc(f)}</li>" for f in s.findings]
            parts.append("</ul></div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
