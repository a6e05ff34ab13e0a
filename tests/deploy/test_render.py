"""`manage.py deploy_config` on its own: every branch of the templates renders into files that
nginx and supervisord accept, the environment survives supervisord's parser byte for byte, and
the environment file template passes `manage.py check --deploy`."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from supervisor.options import ServerOptions

from restaurant.core.management.commands.deploy_config import parse_env_file
from tests.deploy.stack import NGINX, PROBE
from tests.support.servers import ROOT

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("deploy_requirements")]


def render(root: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("deploy_config", "--root", str(root), *args, stdout=out)
    return out.getvalue()


def nginx_test(root: Path) -> None:
    result = subprocess.run(
        [NGINX, "-t", "-c", f"{root}/conf/nginx.conf", "-p", f"{root}/",
         "-e", f"{root}/log/nginx-error.log"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def program_environments(root: Path) -> dict[str, dict]:
    options = ServerOptions()
    options.realize(args=["-c", f"{root}/conf/supervisord.conf"])
    return {
        process.name: process.environment
        for group in options.process_group_configs
        for process in group.process_configs
    }


def test_first_render_writes_the_env_template_and_asks_for_the_env_file(tmp_path):
    with pytest.raises(CommandError, match="No environment file"):
        render(tmp_path, "--server-name", "order.example.com")
    example = (tmp_path / "conf" / "env.example").read_text()
    assert "ALLOWED_HOSTS=order.example.com" in example
    assert oct((tmp_path / "conf" / "env.example").stat().st_mode & 0o777) == "0o600"


def test_env_template_passes_check_deploy(tmp_path):
    with pytest.raises(CommandError):
        render(tmp_path, "--server-name", "order.example.com")
    env = parse_env_file(tmp_path / "conf" / "env.example")
    assert env["DJANGO_ENV"] == "production" and len(env["SECRET_KEY"]) >= 50
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--variant", "unix", "--workers", "3", "--supervise-nginx"],
        ["--variant", "tcp", "--workers", "2", "--asgi-port", "18001"],
        ["--variant", "unix", "--asgi-server", "uvicorn", "--http-server", "asgi"],
        ["--variant", "tcp", "--asgi-server", "uvicorn", "--behind-proxy", "10.0.0.0/8"],
        ["--variant", "unix", "--tls", "--behind-proxy", "192.0.2.10"],
    ],
    ids=["unix", "tcp", "uvicorn-only", "uvicorn-tcp-proxy", "tls"],
)
def test_every_layout_renders_files_nginx_and_supervisord_accept(tmp_path, args):
    root = tmp_path
    if "--tls" in args:
        args.remove("--tls")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=order.example.com", "-keyout", f"{root}/key.pem",
             "-out", f"{root}/cert.pem"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        args += ["--tls-cert", f"{root}/cert.pem", "--tls-key", f"{root}/key.pem"]
    (root / "env").write_text(
        "# a comment\nDJANGO_ENV=production\nSECRET_KEY='not-a-real-one'\n"
        "DATABASE_URL=postgres://u@127.0.0.1/db\nexport REDIS_URL=redis://127.0.0.1:6379/0\n"
        f"DEPLOY_PROBE={PROBE}\n"
    )
    render(root, "--server-name", "order.example.com", "--listen", "18080", *args)
    nginx_test(root)
    environments = program_environments(root)
    assert environments, "no programs"
    assert "print_worker" in environments  # the kitchen's printers are served
    for name, environment in environments.items():
        if name == "nginx":
            assert not environment  # nginx needs none of it
            continue
        assert environment["DEPLOY_PROBE"] == PROBE, name
        assert environment["SECRET_KEY"] == "not-a-real-one"
        assert environment["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    conf = root / "conf"
    assert oct((conf / "supervisord.conf").stat().st_mode & 0o777) == "0o600"
    assert (conf / "uwsgi.ini").exists() == ("asgi" not in args)
    site = (conf / "nginx-site.conf").read_text()
    assert ("$restaurant_proto" in site) == ("--behind-proxy" in args)
    assert ("listen 443 ssl" in site) == ("--tls-cert" in args)


@pytest.mark.parametrize("value", ["a #comment", "x ;y", 'ends with "', "both ' and \""])
def test_a_value_supervisord_cannot_carry_is_refused(tmp_path, value):
    (tmp_path / "env").write_text(
        f"SECRET_KEY=k\nDATABASE_URL=postgres://u@h/d\nREDIS_URL=redis://h\nBAD={value}\n"
    )
    with pytest.raises(CommandError, match="BAD"):
        render(tmp_path)
