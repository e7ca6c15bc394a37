# ruff: noqa: E501  (an HTML template: its lines are markup, not code)
"""The report page's Jinja2 template (kept in Python so it ships with the package)."""

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Credit re-evaluation {{ info.as_of }}</title>
<style>
  :root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --card:#fff; --bg:#f1f5f9; --blue:#2563eb;
          --red:#dc2626; --green:#16a34a; --amber:#d97706; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--ink);
         font: 14px/1.45 Inter, "Segoe UI", Helvetica, Arial, "Noto Sans CJK SC", sans-serif; }
  header { background:#0f172a; color:#fff; padding:22px 32px 18px; }
  header h1 { margin:0; font-size:22px; font-weight:600; letter-spacing:.2px; }
  header .meta { margin-top:6px; color:#cbd5e1; font-size:12.5px; }
  header code { color:#e2e8f0; background:#1e293b; padding:1px 6px; border-radius:4px; }
  main { padding:20px 32px 40px; max-width:1240px; margin:0 auto; }
  .kpis { display:grid; grid-template-columns:repeat(6, 1fr); gap:12px; margin-bottom:18px; }
  .kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
  .kpi .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.4px; }
  .kpi .value { font-size:22px; font-weight:600; margin-top:2px; }
  .sub { color:var(--muted); font-size:12px; }
  .up { color:var(--green); } .down { color:var(--red); }
  .grid { display:grid; grid-template-columns:1fr 1fr; gap:16px; margin-bottom:16px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
  .card h2 { font-size:15px; margin:0 0 10px; font-weight:600; }
  .card h2 small { color:var(--muted); font-weight:400; font-size:12px; margin-left:6px; }
  table { border-collapse:collapse; width:100%; font-size:12.5px; }
  th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
  th:first-child, td:first-child { text-align:left; }
  th { color:var(--muted); font-weight:600; background:#f8fafc; }
  td.l { text-align:left; white-space:normal; }
  .matrix td, .matrix th { text-align:center; min-width:44px; }
  .matrix td.diag { outline:2px solid #0f172a22; outline-offset:-2px; }
  .pill { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; background:#e2e8f0; }
  .pill.urgent { background:#fee2e2; color:#991b1b; } .pill.warn { background:#fef3c7; color:#92400e; }
  footer { color:var(--muted); font-size:12px; margin-top:20px; }
</style>
</head>
<body>
<header>
  <h1>Nightly credit re-evaluation · as of {{ info.as_of }}</h1>
  <div class="meta">run <code>{{ info.run_id }}</code> · policy <code>{{ info.policy_version }}</code>
    · parts {% for p in info.parts %}<code>{{ p.part }} {{ p.status }}</code> {% endfor %}</div>
  {% if info.unfinished %}<div class="meta"><span class="pill urgent">not complete</span> {{ info.unfinished }}:
    the figures cover the settled customers only</div>{% endif %}
</header>
<main>
{% set ok = totals.status.get('ok', 0) %}
<section class="kpis">
  <div class="kpi"><div class="label">Customers evaluated</div><div class="value">{{ "{:,}".format(ok) }}</div>
    <div class="sub">{{ "{:,}".format(totals.status.get('quarantined', 0)) }} quarantined ·
      {{ "{:,}".format(totals.status.get('skipped', 0)) }} skipped</div></div>
  <div class="kpi"><div class="label">Upgrades</div><div class="value up">▲ {{ "{:,}".format(totals.upgrades) }}</div>
    <div class="sub">grade better than before</div></div>
  <div class="kpi"><div class="label">Downgrades</div><div class="value down">▼ {{ "{:,}".format(totals.downgrades) }}</div>
    <div class="sub">grade worse than before</div></div>
  <div class="kpi">{% for cur in currencies %}{% set m = totals.money[cur] %}
    <div class="label">Credit extended ({{ cur }})</div><div class="value">{{ m.limit_after | money }}</div>
    {% set delta = m.limit_after - m.limit_before %}
    <div class="sub">{{ "+" if delta >= 0 else "" }}{{ delta | money }} vs {{ m.limit_before | money }}</div>
    {% else %}<div class="label">Credit extended</div><div class="value">–</div>{% endfor %}</div>
  <div class="kpi"><div class="label">Urgent reviews</div><div class="value down">{{ "{:,}".format(queue.urgent_review) }}</div>
    <div class="sub">{{ "{:,}".format(queue.review_due) }} periodic reviews due</div></div>
  <div class="kpi"><div class="label">Orders on hold</div><div class="value">{{ "{:,}".format(queue.hold) }}</div>
    <div class="sub">{{ "{:,}".format(queue.collection) }} collection reminders</div></div>
</section>

<section class="grid">
  <div class="card"><h2>Grade distribution <small>previous profile vs this run</small></h2>{{ charts.grades | safe }}
    <table><tr><th>grade class</th><th>previous</th><th>this run</th><th>change</th></tr>
    {% for k in "ABC" %}{% set before = grades | select("in", classes[k]) | map("prev_count") | sum %}
      {% set now = totals.class_count("by_grade_class", k) %}
      <tr><td>{{ k }} ({{ classes[k] | join(" ") }})</td><td>{{ "{:,}".format(before) }}</td><td>{{ "{:,}".format(now) }}</td>
        <td class="{{ 'up' if now > before else 'down' if now < before else '' }}">{{ "{:+,}".format(now - before) }}</td></tr>{% endfor %}
      <tr><td>new customers (no previous grade)</td><td>{{ "{:,}".format(totals.prev_grades.get('new', 0)) }}</td><td></td><td></td></tr>
    </table></div>
  <div class="card"><h2>Grade migration <small>rows: previous grade · columns: this run</small></h2>
    <table class="matrix"><tr><th>from \\ to</th>{% for g in grades %}<th>{{ g }}</th>{% endfor %}<th>total</th></tr>
    {% for p in prev_rows %}{% set row = totals.migration[p] %}
      <tr><th>{{ p }}</th>{% for g in grades %}{% set n = row.get(g, 0) %}
        <td class="{{ 'diag' if p == g else '' }}" style="{{ heat(n, peak) }}">{{ n if n else "" }}</td>{% endfor %}
        <td><b>{{ "{:,}".format(totals.prev_grades[p]) }}</b></td></tr>
    {% endfor %}</table></div>
</section>

<section class="grid">
  <div class="card"><h2>Value classes (ABC) <small>{{ "{:,}".format(portfolio.get('customers', 0)) }} customers,
    sales {% for row in sales_rows %}{{ row.total_sales | money }} {{ row.currency or "" }}{{ " · " if not loop.last }}{% endfor %}
    in {{ portfolio.get('cutoffs', {}).get('sales_window_months', '') }} months{% if sales_rows | length > 1 %},
    each currency ranked among itself{% endif %}</small></h2>
    {{ charts.value | safe }}
    <table><tr><th>class</th><th>currency</th><th>customers</th><th>sales</th><th>exposure</th><th>credit limit</th></tr>
    {% for row in sales_rows %}{% for k in "ABC" %}{% set c = row.classes.get(k, {}) %}{% set e = totals.money[row.currency].by_value_class.get(k) if row.currency in totals.money else None %}
      <tr><td>{{ k }}</td><td>{{ row.currency or "" }}</td><td>{{ "{:,}".format(c.get('customers', 0)) }}</td><td>{{ c.get('sales') | money }}</td>
        <td>{{ e[1] | money if e else "–" }}</td><td>{{ e[2] | money if e else "–" }}</td></tr>{% endfor %}{% endfor %}
    </table></div>
  <div class="card"><h2>ABC curve <small>cumulative share of sales{% if curve_currency %}, {{ curve_currency }} customers{% endif %}</small></h2>{{ charts.curve | safe }}
    <div class="sub">{{ "{:,}".format(portfolio.get('give_up', 0)) }} class-C customers flagged for the give-up review
      (bottom share of class C, 放弃约5%的C类客户).</div></div>
</section>

<section class="grid">
  <div class="card"><h2>Limit changes <small>customers by change against the previous limit</small></h2>{{ charts.bands | safe }}
    <table><tr><th>change</th><th>customers</th></tr>
    {% for b in bands %}<tr><td>{{ b }}</td><td>{{ "{:,}".format(totals.bands.get(b, 0)) }}</td></tr>{% endfor %}
      {% for cur in currencies %}{% set m = totals.money[cur] %}
      <tr><td><b>credit extended ({{ cur }})</b></td><td><b>{{ m.limit_before | money }} → {{ m.limit_after | money }}</b></td></tr>{% endfor %}
    </table></div>
  <div class="card"><h2>Exposure by class <small>open receivables + open orders vs limits</small></h2>{{ charts.exposure | safe }}
    <table><tr><th>grade class</th><th>currency</th><th>customers</th><th>exposure</th><th>credit limit</th><th>utilisation</th></tr>
    {% for cur in currencies %}{% for k in "ABC" %}{% set e = totals.money[cur].by_grade_class.get(k) %}{% if e %}
      <tr><td>{{ k }}</td><td>{{ cur }}</td><td>{{ "{:,}".format(e[0]) }}</td><td>{{ e[1] | money }}</td><td>{{ e[2] | money }}</td>
        <td>{{ "{:.0%}".format(e[1] / e[2]) if e[2] else "–" }}</td></tr>{% endif %}{% endfor %}{% endfor %}</table></div>
</section>

<section class="grid">
  {% for title, top in (("Largest limit increases", totals.raised), ("Largest limit cuts", totals.cut)) %}
  <div class="card"><h2>{{ title }}</h2>
    <table><tr><th>customer</th><th>grade</th><th>previous limit</th><th>new limit</th><th>change</th><th>currency</th></tr>
    {% for cur, cid, v, p in top.result() %}{% if currencies | length > 1 and loop.changed(cur) %}<tr><th colspan="6" class="l">{{ cur }}</th></tr>{% endif %}<tr><td>{{ cid }}</td><td>{{ p[2] }} → {{ p[3] }}</td><td>{{ p[0] | money }}</td>
      <td>{{ p[1] | money }}</td><td class="{{ 'up' if p[1] > (p[0] or 0) else 'down' }}">{{ (p[1] - (p[0] or 0)) | money }}</td><td>{{ p[4] }}</td></tr>
    {% else %}<tr><td colspan="6" class="l">none</td></tr>{% endfor %}</table></div>
  {% endfor %}
</section>

<section class="grid">
  <div class="card"><h2>Today's work queue <small>due on or before {{ info.as_of }}</small></h2>
    <table><tr><th>category</th><th>items</th></tr>
    {% for c in categories %}<tr><td>{% if c == 'urgent_review' or c == 'hold' %}<span class="pill urgent">{{ c }}</span>
      {% elif c == 'review_due' or c == 'collection' %}<span class="pill warn">{{ c }}</span>{% else %}<span class="pill">{{ c }}</span>{% endif %}</td>
      <td>{{ "{:,}".format(queue[c]) }}</td></tr>{% endfor %}</table>
    <p class="sub">Export: <code>credit-policy queue --date {{ info.as_of }} --csv queue.csv</code></p></div>
  <div class="card"><h2>Quarantined customers <small>data the run could not evaluate</small></h2>
    <table><tr><th>customer</th><th style="text-align:left">error</th></tr>
    {% for q in totals.quarantined[:12] %}<tr><td>{{ q.customer_id }}</td><td class="l">{{ q.error[:160] }}</td></tr>
    {% else %}<tr><td colspan="2" class="l">none</td></tr>{% endfor %}</table></div>
</section>

<section class="grid" style="grid-template-columns:1fr 1fr 1fr">
  {% for key, title, fmt in (("sales", "Top by sales", "money"), ("growth", "Top by sales growth", "pct"), ("profit_rate", "Top by profit rate", "pct")) %}
  <div class="card"><h2>{{ title }} <small>重点客户</small></h2>
    <table><tr><th>#</th><th style="text-align:left">customer</th><th>{{ "sales" if fmt == "money" else "rate" }}</th></tr>
    {% set entries = portfolio.get('rankings', {}).get(key, []) %}{% for cur, group in (ranking_groups(entries) if fmt == "money" else [(None, entries)]) %}{% if cur %}<tr><th colspan="3" class="l">{{ cur }}</th></tr>{% endif %}{% for r in group %}<tr><td>{{ loop.index }}</td>
      <td class="l">{{ r.customer_id }} <span style="color:#64748b">{{ r.name[:22] }}</span></td>
      <td>{{ r.value | money if fmt == "money" else "{:+.1%}".format(r.value) }}</td></tr>
    {% else %}<tr><td colspan="3" class="l">none</td></tr>{% endfor %}{% endfor %}</table></div>
  {% endfor %}
</section>
<footer>Generated {{ generated_at.strftime("%Y-%m-%d %H:%M UTC") }} by credit-policy report · one line per customer in the CSV beside this page.</footer>
</main>
</body>
</html>
"""
