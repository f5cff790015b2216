"""The pages, as Jinja templates (autoescaped by Flask)."""

from __future__ import annotations

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · auth-basics</title></head>
<body>
<nav>
  <a href="{{ url_for('home') }}">Home</a>
  {% if user %}
    <form method="post" action="{{ url_for('logout') }}">
      <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
      <button>Log out {{ user.email }}</button>
    </form>
  {% else %}
    <a href="{{ url_for('login') }}">Log in</a> · <a href="{{ url_for('register') }}">Register</a>
  {% endif %}
  {% if dev_outbox %}· <a href="{{ url_for('outbox') }}">Dev outbox</a>{% endif %}
</nav>
{% for message in get_flashed_messages() %}<p class="flash">{{ message }}</p>{% endfor %}
<main>{{ body | safe }}</main>
</body></html>
"""

HOME = """<h1>Welcome{% if user %}, {{ user.email }}{% endif %}</h1>
<p>{% if user %}You are logged in.{% else %}Please log in.{% endif %}</p>"""

FORM = """<h1>{{ heading }}</h1>
<form method="post">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  {% if with_email %}<label>Email <input name="email" type="email" required></label>{% endif %}
  {% if with_password %}
    <label>Password <input name="password" type="password" required minlength="8"></label>
  {% endif %}
  <button>{{ heading }}</button>
</form>
{% if heading == 'Log in' %}
  <p><a href="{{ url_for('forgot') }}">Forgot your password?</a></p>
{% endif %}
"""

OUTBOX = """<h1>Development outbox</h1>
{% for mail in messages %}
<article><h2>{{ mail.subject }}</h2><p>To: {{ mail.to }}</p><pre>{{ mail.body }}</pre></article>
{% else %}<p>No email sent yet.</p>{% endfor %}"""
