"""deploy/prometheus and deploy/grafana as operators load them: promtool accepts the rules
and the scrape configuration, every alert's unit tests pass, and every metric the alerts
and the dashboard read is one the service exports."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess

import prometheus_client
import pytest
import yaml

from tests.conftest import IN_CI, repo_root

REPO = repo_root()
RULES = "deploy/prometheus/rules.yml"
RULES_TESTS = "deploy/prometheus/rules_test.yml"
SCRAPE_CONFIG = "deploy/prometheus/prometheus.yml"
DASHBOARD = "deploy/grafana/citycode.json"
RUNBOOKS = "deploy/README.md"

# The job names the rules select on (`up{job="citycode"}`), so the scrape config must use them.
WEB_JOB, WORKER_JOB = "citycode", "citycode-worker"
SCAN_ROUTES = ("/api/v1/scan/{code}", "/s/{code}", "/S/{code}")

TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)$", re.MULTILINE)
# PromQL identifiers; quoted strings (label values, regexes) are taken out first.
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
CJK = re.compile(r"[\u4e00-\u9fff]")
LABEL_VALUES = re.compile(r"^label_values\((.+),\s*\w+\)$")


def load_yaml(path: str) -> dict:
    return yaml.safe_load((REPO / path).read_text(encoding="utf-8"))


def load_dashboard() -> dict:
    return json.loads((REPO / DASHBOARD).read_text(encoding="utf-8"))


def rules_of(rules_file: dict) -> list[dict]:
    return [rule for group in rules_file["groups"] for rule in group["rules"]]


def alerts() -> list[dict]:
    return [rule for rule in rules_of(load_yaml(RULES)) if "alert" in rule]


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules_of(load_yaml(RULES)) if "record" in rule}


def dashboard_expressions(node) -> list[str]:
    """Every query in the dashboard: the panels' `expr` and the variables' queries."""
    if isinstance(node, dict):
        found = [node[k] for k in ("expr", "definition") if isinstance(node.get(k), str)]
        return found + [e for value in node.values() for e in dashboard_expressions(value)]
    if isinstance(node, list):
        return [e for item in node for e in dashboard_expressions(item)]
    return []


def referenced_metrics(expression: str) -> set[str]:
    """The identifiers of `expression` that name a CityCode metric (`citycode_…`); a
    recording rule's name (`job:citycode_…:rate5m`) starts otherwise and is left out."""
    return {
        name
        for name in IDENTIFIER.findall(QUOTED.sub('""', expression))
        if name.startswith("citycode_")
    }


def exported_series(exposition: str) -> set[str]:
    """The series names an exposition's `# TYPE` lines promise: a counter's `X_total`
    (whether the line names it `X` or, as prometheus_client does now, `X_total`), a
    histogram's `_bucket`, `_sum` and `_count`, and any other type's own name."""
    names = set()
    for name, kind in TYPE_LINE.findall(exposition):
        if kind == "counter":
            names.add(name if name.endswith("_total") else f"{name}_total")
        elif kind == "histogram":
            names.update(name + suffix for suffix in HISTOGRAM_SERIES)
        elif kind == "summary":
            names.update({name, f"{name}_sum", f"{name}_count"})
        else:
            names.add(name)
    return names


def unknown_metrics(expressions: list[str], exported: set[str], recorded: set[str]) -> dict:
    """Each metric named in `expressions` that is neither exported nor recorded, with the
    expression that names it."""
    unknown: dict[str, str] = {}
    for expression in expressions:
        for name in referenced_metrics(expression) - exported - recorded:
            unknown.setdefault(name, expression)
    return unknown


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        reason = "promtool is not installed (Debian: apt-get install prometheus)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def run(*command) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.once
def test_promtool_accepts_the_rules(promtool):
    assert "SUCCESS" in run(promtool, "check", "rules", RULES)


@pytest.mark.once
def test_every_alert_passes_its_unit_tests(promtool):
    assert "SUCCESS" in run(promtool, "test", "rules", RULES_TESTS)


@pytest.mark.once
def test_promtool_accepts_the_scrape_config(promtool, tmp_path):
    # promtool also checks that the bearer-token file exists, which it does only on the
    # Prometheus server: the copy checked here points at a token file of its own.
    config = load_yaml(SCRAPE_CONFIG)
    token = tmp_path / "citycode-metrics-token"
    token.write_text("a-token\n", encoding="utf-8")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {WEB_JOB, WORKER_JOB} <= set(jobs)
    web_auth = jobs[WEB_JOB]["authorization"]
    assert web_auth.get("type", "Bearer") == "Bearer" and web_auth["credentials_file"]
    for job in jobs.values():
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(token)
    shutil.copy(REPO / RULES, tmp_path / "rules.yml")
    copy = tmp_path / "prometheus.yml"
    copy.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    assert config["rule_files"] == ["rules.yml"]
    output = run(promtool, "check", "config", copy)
    assert "1 rule files found" in output
    assert "SUCCESS" in run(promtool, "check", "config", "--syntax-only", SCRAPE_CONFIG)


@pytest.mark.once
def test_every_dashboard_query_parses(promtool, tmp_path):
    # As recording rules, with Grafana's variables filled in and a variable's
    # `label_values(selector, label)` as its selector, for promtool to parse.
    filled = {
        "$__rate_interval": "5m",
        "$__range": "1h",
        "$worker_job": WORKER_JOB,
        "$job": WEB_JOB,
    }
    queries = []
    for expression in dashboard_expressions(load_dashboard()):
        for variable, value in filled.items():
            expression = expression.replace(variable, value)
        queries.append(LABEL_VALUES.sub(r"\1", expression))
    rules = [{"record": f"dashboard:query_{n}", "expr": q} for n, q in enumerate(queries)]
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, allow_unicode=True),
        encoding="utf-8",
    )
    assert f"SUCCESS: {len(rules)} rules found" in run(promtool, "check", "rules", path)


@pytest.mark.once
def test_every_alert_has_a_test_that_fires_it_and_one_where_it_must_not():
    fires, stays_quiet = set(), set()
    for case in load_yaml(RULES_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else stays_quiet).add(check["alertname"])
    names = {alert["alert"] for alert in alerts()}
    assert names - fires == set(), "alerts no test fires"
    assert names - stays_quiet == set(), "alerts no test holds quiet"
    assert (fires | stays_quiet) - names == set(), "tests of alerts rules.yml does not have"


@pytest.mark.once
def test_every_alert_says_how_urgent_it_is_and_what_to_do_in_chinese_then_english():
    runbooks = (REPO / RUNBOOKS).read_text(encoding="utf-8")
    anchors = {
        heading.strip().lower() for heading in re.findall(r"^### (.+)$", runbooks, re.MULTILINE)
    }
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("for"), name
        assert alert["labels"]["severity"] in ("page", "ticket"), name
        for field in ("summary", "description"):
            lines = alert["annotations"][field].splitlines()
            assert len(lines) == 2, (name, field)
            assert CJK.search(lines[0]) and not CJK.search(lines[1]), (name, field)
        runbook = alert["annotations"]["runbook"]
        assert runbook == f"{RUNBOOKS}#{name.lower()}", name
        assert name.lower() in anchors, f"{RUNBOOKS} has no section ### {name}"


@pytest.mark.once
def test_the_dashboard_imports_as_is_onto_any_prometheus():
    dashboard = load_dashboard()
    assert dashboard["schemaVersion"] >= 37
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        sources = [panel["datasource"]] + [t["datasource"] for t in panel["targets"]]
        assert all(s == {"type": "prometheus", "uid": "${datasource}"} for s in sources), panel
        assert panel["targets"], panel["title"]
    for panel in dashboard["panels"]:
        # Chinese, then the English in parentheses.
        assert re.fullmatch(r"\S.*\(.+\)", panel["title"]), panel["title"]
        assert CJK.search(panel["title"].split("(")[0]), panel["title"]


@pytest.mark.once
def test_the_rules_and_the_dashboard_read_only_metrics_the_service_exports(client):
    # A scan of each form, for the route labels the scan's p99 selects.
    for route in SCAN_ROUTES:
        client.get(route.replace("{code}", "NOSUCHCODE"))
    response = client.get("/metrics")
    assert response.status_code == 200, response.get_data(as_text=True)
    web = response.get_data(as_text=True)
    for route in SCAN_ROUTES:
        assert f'route="{route}"' in web, route
    # The worker's metrics are module-level: importing the module registers them.
    importlib.import_module("backend.metrics")
    worker = prometheus_client.generate_latest().decode()
    exported = exported_series(web) | exported_series(worker)
    expressions = [rule["expr"] for rule in rules_of(load_yaml(RULES))]
    expressions += dashboard_expressions(load_dashboard())
    referenced = set().union(*(referenced_metrics(e) for e in expressions))
    assert len(referenced) > 20  # the parse found the metrics at all
    assert unknown_metrics(expressions, exported, recorded_names()) == {}
    # A recording read but never recorded is no error to Prometheus: an alert on it never fires.
    read_recordings = {
        name
        for expression in expressions
        for name in IDENTIFIER.findall(QUOTED.sub('""', expression))
        if ":" in name and "citycode" in name
    }
    assert read_recordings - recorded_names() == set()


@pytest.mark.once
def test_a_panel_reading_a_metric_the_service_does_not_export_is_caught():
    exported = exported_series(
        "# TYPE citycode_logins_total counter\n"
        "# TYPE citycode_http_request_duration_seconds histogram\n"
        "# TYPE citycode_ready gauge\n"
    )
    dashboard = {
        "panels": [
            {"targets": [{"expr": 'sum(rate(citycode_logins_total{job="citycode"}[5m]))'}]},
            {"targets": [{"expr": "rate(citycode_http_request_duration_seconds_count[5m])"}]},
            {"targets": [{"expr": 'max(citycode_ready{job="citycode_scans_total"})'}]},
            {"targets": [{"expr": "job:citycode_scans:rate5m"}]},
            {"targets": [{"expr": "sum(rate(citycode_scans_total[5m]))"}]},
            {"targets": [{"expr": "citycode_logins"}]},
            {"targets": [{"expr": "citycode_http_request_duration_seconds"}]},
        ]
    }
    expressions = dashboard_expressions(dashboard)
    assert set(unknown_metrics(expressions, exported, {"job:citycode_scans:rate5m"})) == {
        "citycode_scans_total",
        "citycode_logins",
        "citycode_http_request_duration_seconds",
    }
    legacy = exported_series("# TYPE citycode_logins counter\n")
    assert legacy == {"citycode_logins_total"}
