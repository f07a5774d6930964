"""`make fuzz`: Schemathesis against the whole OpenAPI schema, with a real token, on seeded objects.

- Serves the project with gunicorn on a throwaway database (a fresh PostgreSQL database when
  DATABASE_URL points at PostgreSQL, else a temporary SQLite file), with fuzz.settings: the
  network is shut, so no fuzzed URL is ever contacted.
- Seeds a user and their objects (fuzz.seed) and points every path parameter at a real one,
  so detail URLs resolve; DELETEs and destructive actions get objects of their own.
- Runs `schemathesis run` (installed from requirements-fuzz.txt, in its own virtualenv) with
  every check, `--max-examples` cases per operation, and exits with its status: 0 means no
  server error, no schema violation, no accepted invalid input, no rejected valid one.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat import free_port, prepare_database, wait_until_up  # noqa: E402

# Operations whose path parameters name a seeded object: (method or None for all, path, {parameter:
# seed key}); "=value" is a literal, "#key" an id the schema types as an integer (the others are
# strings with a pattern). Method-specific entries are left out of the broader ones (see below).
TARGETS = [
    ("DELETE", "/api/chatbots/{id}/", {"id": "doomed_chatbot"}),
    ("DELETE", "/api/chatbots/{chatbot_pk}/flows/{id}/", {"chatbot_pk": "chatbot", "id": "doomed_flow"}),
    ("POST", "/api/chatbots/{chatbot_pk}/flows/{id}/make-main/", {"chatbot_pk": "chatbot", "id": "doomed_flow"}),
    ("DELETE", "/api/components/instances/{id}/", {"id": "doomed_node"}),
    ("DELETE", "/api/components/connections/{id}/", {"id": "doomed_edge"}),
    ("DELETE", "/api/components/variables/{id}/", {"id": "doomed_variable"}),
    ("DELETE", "/api/flows/templates/{id}/", {"id": "doomed_template"}),
    ("DELETE", "/api/integrations/api-connections/{id}/", {"id": "doomed_connection"}),
    ("DELETE", "/api/integrations/webhooks/{id}/", {"id": "doomed_webhook"}),
    ("DELETE", "/api/integrations/{id}/", {"id": "doomed_integration"}),
    ("DELETE", "/api/integrations/integrations/{id}/", {"id": "doomed_integration"}),
    ("POST", "/api/executions/sessions/{id}/finish/", {"id": "session_to_finish"}),
    ("DELETE", "/api/auth/tokens/{id}/", {"id": "doomed_api_token"}),
    (None, "/api/auth/tokens/{id}/", {"id": "api_token"}),
    (None, "/api/auth/oauth/accounts/{id}/", {"id": "oauth_account"}),
    (None, "/api/chatbots/{chatbot_pk}/versions/{number}/", {"chatbot_pk": "chatbot", "number": "version"}),
    (None, "/api/chatbots/{chatbot_pk}/versions/{number}/restore/", {"chatbot_pk": "chatbot", "number": "version"}),
    (None, "/api/chatbots/{chatbot_pk}/versions/", {"chatbot_pk": "chatbot"}),
    (None, "/api/chatbots/{chatbot_pk}/flows/", {"chatbot_pk": "chatbot"}),
    (None, "/api/chatbots/{chatbot_pk}/flows/{id}/*", {"chatbot_pk": "chatbot", "id": "flow"}),
    (None, "/api/chatbots/{id}/*", {"id": "chatbot"}),
    (None, "/api/components/instances/{id}/", {"id": "node"}),
    (None, "/api/components/connections/{id}/", {"id": "edge"}),
    (None, "/api/components/variables/{id}/", {"id": "variable"}),
    (None, "/api/components/schema/{type_name}/", {"type_name": "=message"}),
    (None, "/api/components/templates/{type}/", {"type": "=text_input"}),
    (None, "/api/components/categories/{slug}/", {"slug": "=input"}),
    (None, "/api/executions/sessions/{id}/", {"id": "session"}),
    (None, "/api/executions/messages/{id}/", {"id": "message"}),
    (None, "/api/executions/logs/{id}/", {"id": "log"}),
    (None, "/api/executions/inputs/{id}/", {"id": "input"}),
    (None, "/api/executions/uploads/{id}/download/", {"id": "#upload"}),  # an <int:pk> path: typed integer
    (None, "/api/executions/webhooks/{id}/*", {"id": "delivery"}),
    (None, "/api/flows/public/{public_id}/start/", {"public_id": "public_id"}),
    (None, "/api/flows/public/{public_id}/", {"public_id": "public_id"}),
    (None, "/api/flows/public/sessions/{session_id}/files/", {"session_id": "session_waiting_for_file"}),
    (None, "/api/flows/public/sessions/{session_id}/*", {"session_id": "session"}),
    (None, "/api/flows/templates/{id}/*", {"id": "template"}),
    (None, "/api/integrations/api-connections/{id}/*", {"id": "connection"}),
    (None, "/api/integrations/webhooks/{id}/*", {"id": "webhook"}),
    (None, "/api/integrations/integrations/{id}/*", {"id": "integration"}),
    (None, "/api/integrations/{id}/*", {"id": "integration"}),
    (None, "/api/integrations/logs/{id}/", {"id": "integration_log"}),
    (None, "/api/integrations/templates/{slug}/", {"slug": "=slack"}),
]


def _value(key: str, ids: dict) -> str | int:
    if key.startswith("="):
        return key[1:]
    if key.startswith("#"):
        return int(ids[key[1:]])
    return str(ids[key])


def schemathesis_config(ids: dict, *, max_examples: int) -> str:
    """The run's schemathesis.toml: every check, the case budget, and each operation's seeded ids.

    Values are strings, as the schema types path parameters; an operation named in a
    method-specific entry is left out of the broader entries, so it takes only its own ids."""
    specific = [f"{method} {path}" for method, path, _ in TARGETS if method]
    lines = [
        f"generation.max-examples = {max_examples}",
        'generation.database = "none"',
        # The API refuses NUL characters everywhere by design (PostgreSQL cannot store them),
        # a rule a JSON Schema string cannot state; the test suite covers it.
        "generation.allow-x00 = false",
        # A request the schema accepts can still break rules no schema states: a wrong password,
        # a taken username, a node or flow id that is not there, a URL the outbound guard refuses,
        # a graph that does not validate. Those are 400s; every other status stays checked.
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "3xx", 400, 401, 403, 404, 409, 429]',
    ]
    for method, path, params in TARGETS:
        values = {name: _value(key, ids) for name, key in params.items()}
        lines.append("[[operations]]")
        if method:
            lines.append(f"include-name = {json.dumps(f'{method} {path}')}")
        elif path.endswith("*"):
            lines.append(f"include-path-regex = {json.dumps('^' + re.escape(path[:-1]))}")
        else:
            lines.append(f"include-path = {json.dumps(path)}")
        if not method:
            lines.append(f"exclude-name = {json.dumps(specific)}")
        # A JSON string is a TOML basic string too.
        lines.append("parameters = { " + ", ".join(f'"path.{k}" = {json.dumps(v)}' for k, v in values.items()) + " }")
    return "\n".join(lines) + "\n"


def run_and_summarise(command: list[str], *, cwd: Path) -> int:
    """Run schemathesis, passing its output through, then print its figures as one plain line
    ("fuzz: N passed, N failed, N skipped") that CI logs and people can read at a glance."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in process.stdout:
        sys.stdout.write(line)
        output.append(line)
    status = process.wait()
    text = "".join(output)

    cases = re.search(r"Test cases:\s*\n\s*(.*)", text)
    totals = (
        cases.group(1) if cases else ""
    )  # "6739 generated, 6739 passed, 252 skipped" or "…, 8 found 9 unique failures…"

    def figure(pattern: str, source: str = totals) -> int:
        found = re.search(pattern, source)
        return int(found.group(1)) if found else 0

    operations, generated = figure(r"Tested: (\d+)", text), figure(r"(\d+) generated")
    skipped, found = figure(r"(\d+) skipped"), figure(r"(\d+) found")
    passed = figure(r"(\d+) passed") or max(0, generated - found)
    failed = found + figure(r"Runtime Error: (\d+)", text)
    print(f"\nfuzz: {operations} operations, {generated} cases, exit status {status}")
    print(f"fuzz: {passed} passed, {failed} failed, {skipped} skipped")
    return status


def seed_database(env: dict) -> dict:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from fuzz.seed import seed

    call_command("migrate", verbosity=0)
    return seed()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    parser.add_argument("--schemathesis", required=True, help="the schemathesis command (from requirements-fuzz.txt)")
    parser.add_argument("--max-examples", type=int, default=20, help="cases per operation in the fuzzing phase")
    parser.add_argument("--workers", type=int, default=2, help="schemathesis workers and gunicorn workers")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (a random one by default)")
    parser.add_argument("--report-dir", default=None, help="keep schemathesis' JUnit report here")
    args, extra = parser.parse_known_args()

    media = tempfile.mkdtemp(prefix="fuzz-media-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fuzz.settings",
        "DEBUG": "False",  # as in production (fuzz.settings shuts the network and quietens the log)
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "SECRET_KEY": "fuzz-" + uuid.uuid4().hex * 2,
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "MEDIA_ROOT": media,
        "JWT_ACCESS_TOKEN_MINUTES": "240",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    for scope in ("AUTH", "CHAT_START", "CHAT_REPLY", "TEST", "TEST_API", "TEST_WEBHOOK", "PREVIEW", "CHANGE_PASSWORD"):
        env[f"THROTTLE_RATE_{scope}"] = "100000000/min"  # rate limits are tested by the suite, not here
    env, cleanup = prepare_database(env)
    server = None
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        ids = seed_database(env)
        (work / "schemathesis.toml").write_text(schemathesis_config(ids, max_examples=args.max_examples))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(args.workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
                # The fuzzer writes query strings longer than gunicorn's default request line
                # (4,094 bytes, answered with an HTML 414 before the app sees it): a deployment
                # setting, not the API's, so lifted here.
                "--limit-request-line",
                "0",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(base)
        command = [
            args.schemathesis,
            "--config-file",
            str(work / "schemathesis.toml"),
            "run",
            f"{base}/api/schema/",
            "--checks",
            "all",
            "--workers",
            str(args.workers),
            "--header",
            f"Authorization: Bearer {ids['token']}",
            "--request-timeout",
            "60",
            "--suppress-health-check",
            "all",
            "--no-color",
            "--report-dir",
            args.report_dir or str(work / "report"),
        ]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        return run_and_summarise(command + extra, cwd=work)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
