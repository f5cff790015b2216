"""The Dockerfile and the compose file, checked statically (no container engine here)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from flask import Flask
from todo_web.settings import AppSettings

HERE = Path(__file__).resolve().parents[1]
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory: pytest.TempPathFactory) -> DockerfileParser:
    copy = tmp_path_factory.mktemp("docker") / "Dockerfile"
    copy.write_bytes((HERE / "Dockerfile").read_bytes())
    return DockerfileParser(path=str(copy))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((HERE / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _final_stage(parser: DockerfileParser) -> list[dict[str, Any]]:
    structure: list[dict[str, Any]] = [dict(item) for item in parser.structure]
    starts = [i for i, item in enumerate(structure) if item["instruction"] == "FROM"]
    return structure[starts[-1] :]


def test_the_dockerfile_is_multi_stage(dockerfile: DockerfileParser) -> None:
    stages = [i["value"] for i in dockerfile.structure if i["instruction"] == "FROM"]
    assert len(stages) >= 2
    assert stages[0].endswith(" AS build")
    final = _final_stage(dockerfile)
    copies = [i["value"] for i in final if i["instruction"] == "COPY"]
    assert any(c.startswith("--from=build ") for c in copies)
    assert not any(i["instruction"] == "RUN" and "pip wheel" in i["value"] for i in final)


def test_the_image_runs_as_a_user_without_privileges(dockerfile: DockerfileParser) -> None:
    final = _final_stage(dockerfile)
    users = [i["value"] for i in final if i["instruction"] == "USER"]
    assert users, "the final stage must switch to a user"
    name = users[-1].split(":")[0]
    assert name not in {"root", "0"}
    assert any("useradd" in i["value"] and name in i["value"] for i in final)
    last_user = max(i["startline"] for i in final if i["instruction"] == "USER")
    cmd = next(i for i in final if i["instruction"] == "CMD")
    assert cmd["startline"] > last_user


def test_the_healthcheck_probes_the_health_endpoint(
    dockerfile: DockerfileParser, app: Flask
) -> None:
    final = _final_stage(dockerfile)
    checks = [i["value"] for i in final if i["instruction"] == "HEALTHCHECK"]
    assert len(checks) == 1
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", checks[0])
    assert match is not None
    port, path = match.groups()
    assert path in {rule.rule for rule in app.url_map.iter_rules()}
    exposed = [i["value"] for i in final if i["instruction"] == "EXPOSE"]
    assert exposed == [port]
    cmd = json.loads(next(i["value"] for i in final if i["instruction"] == "CMD"))
    assert cmd[0] == "gunicorn"
    assert f"0.0.0.0:{port}" in cmd
    assert cmd[-1] == "todo_web.wsgi:app"


def test_the_image_installs_every_bricolage_package_the_app_needs(
    dockerfile: DockerfileParser,
) -> None:
    needed: set[str] = set()
    todo = [HERE]
    while todo:
        project = tomllib.loads((todo.pop() / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            name = re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0]
            if name.startswith("bricolage-") and name not in needed:
                needed.add(name)
                todo.append(ROOT / "packages" / name)
    build = " ".join(i["value"] for i in dockerfile.structure if i["instruction"] == "RUN")
    listed = set(re.findall(r"packages/(bricolage-[a-z]+)", build))
    assert listed == needed
    assert "examples/todo-web" in build
    assert dockerfile.baseimage.startswith("python:3.")


def test_compose_has_dev_and_prod_profiles(compose: dict[str, Any]) -> None:
    services: dict[str, Any] = compose["services"]
    by_profile: dict[str, set[str]] = {}
    for name, service in services.items():
        for profile in service.get("profiles", []):
            by_profile.setdefault(profile, set()).add(name)
    assert set(by_profile) == {"dev", "prod"}
    assert by_profile["prod"] == {"web", "worker", "postgres", "redis"}
    assert by_profile["dev"] == {"web-dev", "worker-dev"}
    for name in ("worker", "worker-dev"):
        assert services[name]["command"] == ["todo-web", "worker"]
        assert services[name]["healthcheck"] == {"disable": True}


def test_compose_references_are_declared(compose: dict[str, Any]) -> None:
    services: dict[str, Any] = compose["services"]
    for name, service in services.items():
        assert "image" in service, name
        assert "build" in service or ":" in service["image"], name
        for secret in service.get("secrets", []):
            assert secret in compose["secrets"], (name, secret)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(("/", ".")) or source in compose["volumes"], (name, volume)
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            assert condition == {"condition": "service_healthy"}
            assert "healthcheck" in services[dependency], dependency
    for service in ("postgres", "redis"):
        assert services[service]["healthcheck"]["test"][0] == "CMD"


def test_compose_environment_names_real_settings(compose: dict[str, Any]) -> None:
    fields = set(AppSettings.model_fields)
    seen = 0
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            if key.startswith("TODO_WEB_"):
                setting = key.removeprefix("TODO_WEB_").lower()
                assert setting in fields | {"profile", "secrets_dir"}, (name, key)
                seen += 1
                if setting == "origins":
                    assert isinstance(json.loads(value), list)
    assert seen >= 8
    for secret in ("secret_key", "database_url"):
        assert secret in fields  # mounted files in /run/secrets are named after settings


def test_compose_builds_from_the_repository_root(compose: dict[str, Any]) -> None:
    for service in ("web", "worker", "web-dev", "worker-dev"):
        build = compose["services"][service]["build"]
        context = (HERE / build["context"]).resolve()
        assert (context / build["dockerfile"]).resolve() == HERE / "Dockerfile"
        assert (context / "packages").is_dir()
