"""The report as one self-contained HTML file (styles inline, charts as embedded PNG)."""

from __future__ import annotations

import base64

from jinja2 import Environment, select_autoescape

from baken.reports.model import Report

_env = Environment(
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

# Data is never marked |safe: labels and numbers are escaped like any other text. The only markup
# that is not escaped is this template itself.
_TEMPLATE = _env.from_string(
    """<!doctype html>
<html lang="{{ report.lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }} {{ report.year }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 2px solid #0b5394; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .5rem 0; min-width: 24rem; }
th, td { border-bottom: 1px solid #ccc; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: 600; }
td.level-1 { padding-left: 1.6rem; } td.level-2 { padding-left: 2.8rem; }
.note { font-size: .9rem; color: #444; }
img { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>{{ report.title }}</h1>
<p>{{ report.subtitle }}</p>
<ul class="note">
{% for note in report.notes %}<li>{{ note }}</li>
{% endfor %}
<li>{{ report.generated_on }}</li>
</ul>
{% for section in report.sections %}
<section id="{{ section.id }}">
<h2>{{ section.title }}</h2>
{% for paragraph in section.paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}
{% for table in section.tables %}
<h3 id="table-{{ table.id }}">{{ table.title }}</h3>
<table>
<thead><tr><th scope="col">{{ table.stub }}</th>
{% for column in table.columns %}<th scope="col">{{ column }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in table.rows %}
<tr{% if row.total %} class="total"{% endif %}>
<td class="level-{{ row.level }}">{{ row.label }}</td>
{% for cell in row.cells %}<td>{{ cell.text(report.lang) }}</td>{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
{% for note in table.notes %}<p class="note">{{ note }}</p>
{% endfor %}
{% if charts.get(table.id) %}
<img alt="{{ table.title }}" src="data:image/png;base64,{{ charts[table.id] }}">
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""
)


def to_html(report: Report, *, with_charts: bool = True) -> str:
    # matplotlib only when charts are drawn: importing it cost the server half a second at start.
    from baken.reports.charts import render as render_chart

    charts: dict[str, str] = {}
    if with_charts:
        for table in report.tables():
            if table.chart is not None:
                png = render_chart(table.chart, table.title)
                charts[table.id] = base64.b64encode(png).decode("ascii")
    return _TEMPLATE.render(report=report, charts=charts)
