"""The container deployment: docker-compose.yml, the Dockerfiles and NATS's config agree."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from huddle_shared.services import service_names

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NATS_CONF = ROOT / "deploy" / "nats" / "nats.conf"
SERVICES_WITH_DATABASE = service_names()
APP_SERVICES = ("gateway", *SERVICES_WITH_DATABASE)


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    found: dict[str, Any] = services[name]
    return found


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment", {})
    if isinstance(env, list):  # the KEY=value form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(name: str) -> set[str]:
    return set(service(name).get("depends_on", ()))


DOCKERFILE = ROOT / "deploy" / "Dockerfile"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_is_built_from_the_one_dockerfile(name: str) -> None:
    build = service(name)["build"]
    assert build["context"] == "."
    assert build["dockerfile"] == "deploy/Dockerfile"
    assert build["args"] == {"SERVICE": name}
    assert not (ROOT / "services" / name / "Dockerfile").exists(), "one Dockerfile for all"


def test_the_dockerfile_installs_and_runs_the_named_service_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^ARG SERVICE$", text, flags=re.MULTILINE)
    assert '--package "huddle-${SERVICE}"' in text
    assert "uv sync --frozen --no-dev" in text
    assert "HUDDLE_SERVICE=${SERVICE}" in text
    assert 'python -m \\"huddle_${HUDDLE_SERVICE}\\"' in text
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users, "images must not run as root"
    assert users[-1] not in ("root", "0")


def test_every_service_in_the_list_has_a_package_the_image_can_run() -> None:
    for name in SERVICES_WITH_DATABASE:
        assert (ROOT / "services" / name / "src" / f"huddle_{name}" / "__main__.py").is_file()


def test_the_gateway_listens_on_every_interface_and_publishes_8000() -> None:
    assert environment("gateway")["GATEWAY_HOST"] == "0.0.0.0"
    assert re.search(r"^EXPOSE 8000$", DOCKERFILE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert any(str(port).endswith(":8000") for port in service("gateway")["ports"])
    assert "/health/live" in " ".join(service("gateway")["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_reaches_nats(name: str) -> None:
    assert environment(name)["NATS_URL"] == "nats://nats:4222"
    assert "nats" in depends_on(name)
    assert environment(name).get("HUDDLE_INSTANCE_ID")


def test_only_the_gateway_holds_the_caller_signing_key_and_every_service_its_public_key() -> None:
    secrets = compose()["secrets"]
    assert secrets["caller-signing-key"]["file"].endswith("/caller-signing-key.pem")
    assert secrets["caller-verify-key"]["file"].endswith("/caller-verify-key.pem")
    gateway = environment("gateway")
    assert gateway["HUDDLE_CALLER_SIGNING_KEY_FILE"] == "/run/secrets/caller-signing-key"
    assert "caller-signing-key" in service("gateway")["secrets"]
    for name in SERVICES_WITH_DATABASE:
        assert "caller-signing-key" not in service(name)["secrets"]
        assert "caller-verify-key" in service(name)["secrets"]
        verify = environment(name)["HUDDLE_CALLER_VERIFY_KEY_FILES"]
        assert verify == "/run/secrets/caller-verify-key"


def test_each_service_has_its_own_mongodb_and_the_gateway_none() -> None:
    services = compose()["services"]
    databases: dict[str, str] = {}
    for name in SERVICES_WITH_DATABASE:
        url = urlsplit(environment(name)["MONGODB_URL"])
        assert url.scheme == "mongodb"
        host = url.hostname or ""
        assert host in services, f"{name}'s MONGODB_URL names no compose service"
        assert str(services[host]["image"]).startswith("mongo:"), f"{host} is not MongoDB"
        assert host in depends_on(name)
        databases[name] = host
    assert len(set(databases.values())) == len(databases), f"databases are shared: {databases}"
    volumes = [services[host]["volumes"][0].split(":")[0] for host in databases.values()]
    assert len(set(volumes)) == len(volumes), f"database volumes are shared: {volumes}"
    assert "MONGODB_URL" not in environment("gateway")
    assert not any(
        str(services[dep].get("image", "")).startswith("mongo:") for dep in depends_on("gateway")
    )


def test_only_its_own_service_can_reach_each_mongodb() -> None:
    """MongoDB has no authentication here: a network per database, shared with its service
    only, keeps a compromised container from writing another service's data (or outbox)."""
    services = compose()["services"]
    for name in SERVICES_WITH_DATABASE:
        host = urlsplit(environment(name)["MONGODB_URL"]).hostname or ""
        networks = services[host]["networks"]
        assert networks == [f"{name}-data"], (host, networks)
        assert compose()["networks"][f"{name}-data"]["internal"] is True
        reaching = [
            other
            for other, definition in services.items()
            if f"{name}-data" in definition.get("networks", [])
        ]
        assert sorted(reaching) == sorted([name, host]), reaching
    for name, definition in services.items():
        assert "networks" in definition or definition.get("network_mode") == "none", name


def test_nats_runs_jetstream_from_the_mounted_config_on_a_volume() -> None:
    nats = service("nats")
    command = " ".join(nats["command"]) if isinstance(nats["command"], list) else nats["command"]
    assert "/etc/nats/nats.conf" in command
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in nats["volumes"]}
    assert mounts["/etc/nats/nats.conf"] == "./deploy/nats/nats.conf"
    assert mounts["/data"] in compose()["volumes"]

    conf = re.sub(r"#.*", "", NATS_CONF.read_text(encoding="utf-8"))
    jetstream = re.search(r"^jetstream\s*\{(.*?)^\}", conf, flags=re.MULTILINE | re.DOTALL)
    assert jetstream, "nats.conf must enable JetStream"
    assert re.search(r"^\s*sync_interval:\s*always\s*$", jetstream[1], flags=re.MULTILINE)
    assert re.search(r'^\s*store_dir:\s*"?/data/', jetstream[1], flags=re.MULTILINE)
    assert re.search(r"^listen:\s*\S*:4222\s*$", conf, flags=re.MULTILINE)
    assert re.search(r"^http:\s*127\.0\.0\.1:8222\s*$", conf, flags=re.MULTILINE)  # loopback


def test_nats_requires_the_generated_credentials() -> None:
    """NATS includes the generated auth.conf (public keys and permissions, no seed)."""
    nats = service("nats")
    # rsplit: a host path may hold ":" itself (``${HUDDLE_SECRETS_DIR:-./var/secrets}``).
    mounts = {volume.rsplit(":", 2)[1]: volume.rsplit(":", 2)[0] for volume in nats["volumes"]}
    assert mounts["/etc/nats/credentials/auth.conf"].endswith("/nats/auth.conf")
    conf = re.sub(r"#.*", "", NATS_CONF.read_text(encoding="utf-8"))
    assert re.search(r'^include\s+"credentials/auth\.conf"\s*$', conf, flags=re.MULTILINE)
    assert "authorization" not in conf and "no_auth_user" not in conf


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_is_given_only_its_own_nkey(name: str) -> None:
    """A container holds its own seed and no other principal's."""
    assert environment(name)["NATS_NKEY_SEED_FILE"] == f"/run/secrets/nats-{name}"
    assert compose()["secrets"][f"nats-{name}"]["file"].endswith(f"/nats/{name}.nk")
    seeds = [secret for secret in service(name)["secrets"] if secret.startswith("nats-")]
    assert seeds == [f"nats-{name}"]
    assert "volumes" not in service(name)  # no shared credentials volume


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", ".tools", "var"} <= ignored


def compose_command() -> list[str] | None:
    """``docker compose`` (the plugin), else a standalone Compose v2, else None."""
    docker = shutil.which("docker")
    if docker and _succeeds([docker, "compose", "version"]):
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone and _succeeds([standalone, "version", "--short"], stdout_starts="2"):
        return [standalone]
    return None


def _succeeds(command: list[str], stdout_starts: str = "") -> bool:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip().lstrip("v").startswith(stdout_starts)


def test_docker_compose_accepts_the_file() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("Docker Compose v2 is not installed (`docker compose version` failed)")
    done = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"`docker compose config` rejected the file:\n{done.stderr}"


def test_streams_are_provisioned_by_a_one_shot_step_as_the_provisioner() -> None:
    """No service may create a stream; the `streams` step does, with the provisioner's key."""
    step = service("streams")
    assert step["command"] == ["python", "-m", "huddle_shared.provision"]
    assert step["secrets"] == ["nats-provisioner"]
    assert step["environment"]["NATS_NKEY_SEED_FILE"] == "/run/secrets/nats-provisioner"
    for name in SERVICES_WITH_DATABASE:
        assert service(name)["depends_on"]["streams"] == {
            "condition": "service_completed_successfully"
        }
