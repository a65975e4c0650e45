"""A self-contained HTML report of a job: metrics, diagnosis, and inline SVG plots.

Plots are drawn as SVG by hand so that the API needs no plotting library and the page
works offline.
"""

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from store.tables import JobRow

W, H, PAD = 420, 260, 36
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return html.escape(str(v)) if v is not None else "—"


def line_chart(
    title: str, series: Mapping[str, Sequence[tuple[float, float]]], *, xlabel: str, ylabel: str
) -> str:
    points = [p for s in series.values() for p in s]
    if not points:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def sx(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD)

    def sy(y: float) -> float:
        return H - PAD - (y - y0) / (y1 - y0) * (H - 2 * PAD)

    parts = [
        f'<svg width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">{html.escape(title)}</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#444"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#444"/>',
        f'<text x="{W / 2}" y="{H - 6}" text-anchor="middle" font-size="11">{html.escape(xlabel)}</text>',
        f'<text x="10" y="{H / 2}" font-size="11" transform="rotate(-90 10 {H / 2})" '
        f'text-anchor="middle">{html.escape(ylabel)}</text>',
        f'<text x="{PAD}" y="{H - PAD + 14}" font-size="10">{x0:.3g}</text>',
        f'<text x="{W - PAD}" y="{H - PAD + 14}" font-size="10" text-anchor="end">{x1:.3g}</text>',
        f'<text x="{PAD - 4}" y="{H - PAD}" font-size="10" text-anchor="end">{y0:.3g}</text>',
        f'<text x="{PAD - 4}" y="{PAD + 4}" font-size="10" text-anchor="end">{y1:.3g}</text>',
    ]
    for i, (name, pts) in enumerate(series.items()):
        if not pts:
            continue
        color = COLORS[i % len(COLORS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{path}"/>')
        parts.append(
            f'<text x="{W - PAD}" y="{PAD + 12 * i}" font-size="11" fill="{color}" '
            f'text-anchor="end">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _history_series(
    history: list[dict[str, Any]], keys: Sequence[str]
) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for k in keys:
        pts = [
            (float(r["epoch"]), float(r[k])) for r in history if isinstance(r.get(k), int | float)
        ]
        if pts:
            out[k] = pts
    return out


def _metrics_table(metrics: dict[str, dict[str, Any]], baselines: dict[str, dict[str, Any]]) -> str:
    splits = [s for s in ("train", "validation", "test") if metrics.get(s)]
    names = sorted({n for s in splits for n in metrics[s]})
    cols = [(s, metrics[s]) for s in splits] + [
        (f"{b} (test)", v) for b, v in baselines.items() if isinstance(v, dict)
    ]
    head = "".join(f"<th>{html.escape(c)}</th>" for c, _ in cols)
    rows = "".join(
        f"<tr><td>{html.escape(n)}</td>"
        + "".join(f"<td>{_num(vals.get(n))}</td>" for _, vals in cols)
        + "</tr>"
        for n in names
    )
    return f"<table><tr><th>metric</th>{head}</tr>{rows}</table>"


def _confusion(cm: dict[str, Any]) -> str:
    labels = cm.get("labels") or []
    matrix = cm.get("matrix") or []
    head = "".join(f"<th>pred {html.escape(str(label))}</th>" for label in labels)
    rows = "".join(
        f"<tr><th>true {html.escape(str(labels[i]))}</th>"
        + "".join(f"<td>{v}</td>" for v in row)
        + "</tr>"
        for i, row in enumerate(matrix)
    )
    return f"<table><tr><th></th>{head}</tr>{rows}</table>"


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<p>No findings.</p>"
    items = "".join(
        f"<li><b>[{html.escape(f.get('severity', ''))}] {html.escape(f.get('code', ''))}</b> "
        f"({html.escape(f.get('area', ''))}): {html.escape(f.get('message', ''))}<br>"
        f"<i>Try:</i> {html.escape(f.get('suggestion', ''))}<br>"
        f"<code>{html.escape(json.dumps(f.get('evidence', {})))}</code></li>"
        for f in findings
    )
    return f"<ul>{items}</ul>"


def render_report(job: JobRow, history: list[dict[str, Any]]) -> str:
    result = job.result or {}
    title = html.escape(job.name or job.id)
    charts = [
        line_chart(
            "Loss", _history_series(history, ["loss", "val_loss"]), xlabel="epoch", ylabel="loss"
        ),
        line_chart(
            "Metrics",
            _history_series(history, ["accuracy", "val_accuracy", "roc_auc", "val_roc_auc"]),
            xlabel="epoch",
            ylabel="value",
        ),
        line_chart(
            "Learning rate",
            _history_series(history, ["learning_rate"]),
            xlabel="epoch",
            ylabel="rate",
        ),
    ]
    curves = (result.get("curves") or {}).get("test") or {}
    roc = curves.get("roc") or {}
    if roc.get("fpr"):
        charts.append(
            line_chart(
                "ROC (test)",
                {
                    "model": list(zip(roc["fpr"], roc["tpr"], strict=False)),
                    "chance": [(0, 0), (1, 1)],
                },
                xlabel="false positive rate",
                ylabel="true positive rate",
            )
        )
    pr = curves.get("pr") or {}
    if pr.get("recall"):
        charts.append(
            line_chart(
                "Precision-recall (test)",
                {"model": list(zip(pr["recall"], pr["precision"], strict=False))},
                xlabel="recall",
                ylabel="precision",
            )
        )
    error = job.error or {}
    body = [
        f"<h1>Job {title}</h1>",
        f"<p>State: <b>{html.escape(job.state)}</b>"
        + (
            f" — {html.escape(str(error.get('code')))}: {html.escape(str(error.get('message')))}"
            if error
            else ""
        )
        + "</p>",
        "<h2>Diagnosis</h2>",
        _findings(result.get("diagnosis") or job.diagnosis or []),
        "<h2>Training</h2>",
        "".join(c for c in charts if c),
    ]
    if result:
        body += [
            "<h2>Metrics</h2>",
            _metrics_table(result.get("metrics") or {}, result.get("baselines") or {}),
            "<h2>Confusion matrix (test)</h2>",
            _confusion(result.get("confusion_matrix") or {}),
            "<h2>Data</h2>",
            f"<pre>{html.escape(json.dumps(result.get('data_summary', {}), indent=2))}</pre>",
        ]
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}svg{margin:6px}"
    )
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style></head><body>{''.join(body)}</body></html>"
