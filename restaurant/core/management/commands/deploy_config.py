"""`manage.py deploy_config`: render the production deployment from deploy/templates/.

nginx in front (static and media from disk, `/ws/` to the ASGI workers, the rest to uwsgi),
uwsgi and N ASGI workers (daphne, or uvicorn) kept alive by supervisord, over unix sockets or
loopback ports. One command renders every file for a given root, user, variant and worker
count, so nobody hand-edits copies.

The environment: one file (``--env-file``, default ``<root>/env``) is parsed here, once, and
rendered into supervisord.conf's ``environment=`` of every program and into manage.sh.
supervisord 4 cannot read an env file itself; wrapping commands in a shell that sources the
file would interpret ``$``, quotes and backslashes in secrets at every start and turn a typo
into a crash loop. Parsed here, a value either reaches every process byte for byte or the
render fails now, naming the line.
"""

import getpass
import grp
import ipaddress
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template import Context, Engine

TEMPLATES = Path(settings.BASE_DIR) / "deploy" / "templates"
MISSING = "@@MISSING:%s@@"
# Paths go into nginx, uwsgi and supervisord files unquoted: keep them to plain characters.
PLAIN_PATH = re.compile(r"^/[A-Za-z0-9_./@+-]*$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UNIX_PATH_MAX = 107  # sun_path holds 108 bytes with the terminating NUL
NGINX_TEMP = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (``export`` allowed), ``#`` comments, values optionally quoted."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not ENV_KEY.match(key):
            raise CommandError(f"{path}:{number}: expected KEY=value, got {raw!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def supervisor_environment(env: dict[str, str]) -> str:
    """``KEY="value",...`` that supervisord's parser turns back into exactly ``env``.

    supervisord splits with a non-POSIX shlex (quotes kept, then stripped from both ends, no
    escapes), expands ``%(name)s`` and treats `` ;``/`` #`` as the start of a comment.
    """
    pairs = []
    for key, value in env.items():
        problem = None
        if "\n" in value or "\r" in value:
            problem = "a line break"
        elif re.search(r"\s[;#]", value):
            problem = "whitespace followed by ';' or '#' (an ini comment)"
        elif value[:1] in ("'", '"') or value[-1:] in ("'", '"'):
            problem = "a quote at its start or end"
        elif '"' in value and "'" in value:
            problem = "both kinds of quote"
        if problem:
            raise CommandError(f"{key}: the value has {problem}, which supervisord cannot carry")
        quote = "'" if '"' in value else '"'
        pairs.append(f"{key}={quote}{value.replace('%', '%%')}{quote}")
    return ",".join(pairs)


def plain_path(value: str | Path, what: str) -> str:
    text = str(value)
    if not PLAIN_PATH.match(text):
        raise CommandError(
            f"{what} {text!r} must be absolute and made of letters, digits and _ . / @ + -"
        )
    return text.rstrip("/") or "/"


class Command(BaseCommand):
    help = (
        "Render nginx, supervisord, uwsgi, systemd and environment files for a deployment "
        "(deploy/templates/) into --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--root", required=True, help="the deployment's root directory")
        parser.add_argument("--user", default=getpass.getuser(), help="runs the app processes")
        parser.add_argument(
            "--variant",
            choices=["unix", "tcp"],
            default="unix",
            help="ASGI workers on unix socket files (recommended) or on 127.0.0.1 ports",
        )
        parser.add_argument("--workers", type=int, default=2, help="ASGI worker processes")
        parser.add_argument("--out", help="where the files go (default: ROOT/conf)")
        parser.add_argument(
            "--server-name", default="localhost", help="host name(s) of the site, comma-separated"
        )
        parser.add_argument("--listen", type=int, default=80, help="nginx's HTTP port")
        parser.add_argument(
            "--python", default=sys.executable, help="the project's virtualenv python"
        )
        parser.add_argument("--env-file", help="the environment file (default: ROOT/env)")
        parser.add_argument("--asgi-server", choices=["daphne", "uvicorn"], default="daphne")
        parser.add_argument(
            "--http-server",
            choices=["uwsgi", "asgi"],
            default="uwsgi",
            help="uwsgi for HTTP, or the ASGI workers for everything",
        )
        parser.add_argument(
            "--asgi-port", type=int, default=8001, help="first worker's port in the tcp variant"
        )
        parser.add_argument("--uwsgi-processes", type=int, default=2)
        parser.add_argument("--nginx-workers", default="auto")
        parser.add_argument(
            "--supervise-nginx",
            action="store_true",
            help="add nginx (with the self-contained nginx.conf) to supervisord",
        )
        parser.add_argument("--nginx", default="/usr/sbin/nginx", help="the nginx binary")
        parser.add_argument("--tls-cert", help="certificate (fullchain) for an HTTPS server")
        parser.add_argument("--tls-key", help="its private key")
        parser.add_argument("--tls-listen", type=int, default=443)
        parser.add_argument(
            "--behind-proxy",
            metavar="CIDR",
            help="a load balancer at this address/network is in front of nginx: trust its "
            "X-Forwarded-For and X-Forwarded-Proto (from there only)",
        )
        parser.add_argument(
            "--socket-timeout",
            type=int,
            default=300,
            help="nginx's read/send timeout for sockets, seconds (> 20)",
        )
        parser.add_argument("--json", action="store_true", help="print the layout as JSON")

    def handle(self, *args, **o):
        ctx, paths = self.context(o)
        out = Path(ctx["out"])
        for directory in paths:
            directory.mkdir(parents=True, exist_ok=True)
            self.chown(directory, ctx)
        for name in NGINX_TEMP:
            Path(ctx["root"], "tmp", "nginx", name).mkdir(parents=True, exist_ok=True)
        out.mkdir(parents=True, exist_ok=True)

        example = self.render("env.example.tmpl", ctx)
        self.write(out / "env.example", example, 0o600, ctx)
        env_file = Path(ctx["env_file"])
        if not env_file.exists():
            raise CommandError(
                f"No environment file at {env_file}. Copy {out / 'env.example'} there, "
                f"chmod 600, fill it in, and run this command again."
            )
        env = parse_env_file(env_file)
        for required in ("SECRET_KEY", "DATABASE_URL"):
            if not env.get(required):
                raise CommandError(f"{env_file}: {required} is not set")
        if not (env.get("REDIS_URL") or env.get("REDIS_SENTINELS")):  # docs/redis-sentinel.md
            raise CommandError(f"{env_file}: neither REDIS_URL nor REDIS_SENTINELS is set")
        ctx["static_root"] = plain_path(
            env.get("STATIC_ROOT", f"{ctx['root']}/static"), "STATIC_ROOT"
        )
        ctx["media_root"] = plain_path(env.get("MEDIA_ROOT", f"{ctx['root']}/media"), "MEDIA_ROOT")
        for key in ("static_root", "media_root"):
            Path(ctx[key]).mkdir(parents=True, exist_ok=True)
            self.chown(Path(ctx[key]), ctx)
        # The one proxy whose X-Forwarded-For the workers believe: this nginx, on the socket
        # files or the loopback ports rendered here (restaurant/core/client_address.py).
        # The env file may name more hops (nginx on another machine); this one always counts.
        nginx_hop = "unix" if ctx["variant"] == "unix" else "127.0.0.1"
        hops = [nginx_hop, *(h.strip() for h in env.get("TRUSTED_PROXIES", "").split(","))]
        process_env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1", **env}
        process_env["TRUSTED_PROXIES"] = ",".join(dict.fromkeys(h for h in hops if h))
        ctx["environment"] = supervisor_environment(process_env)
        ctx["shell_environment"] = " ".join(
            shlex.quote(f"{key}={value}") for key, value in process_env.items()
        )

        site = self.render("nginx-site.conf.tmpl", ctx)
        ctx["site"] = "\n".join(("    " + line) if line else "" for line in site.splitlines())
        files = {
            "nginx-site.conf": (site, 0o644),
            "nginx.conf": (self.render("nginx.conf.tmpl", ctx), 0o644),
            "supervisord.conf": (self.render("supervisord.conf.tmpl", ctx), 0o600),
            "manage.sh": (self.render("manage.sh.tmpl", ctx), 0o700),
            "restaurant.service": (self.render("restaurant.service.tmpl", ctx), 0o644),
        }
        if ctx["http_server"] == "uwsgi":
            files["uwsgi.ini"] = (self.render("uwsgi.ini.tmpl", ctx), 0o644)
        for name, (text, mode) in files.items():
            self.write(out / name, text, mode, ctx)
        self.report(ctx, ["env.example", *files], o["json"])

    # --- building the context ----------------------------------------------------------------
    def context(self, o) -> tuple[dict, list[Path]]:
        if o["workers"] < 1 or o["uwsgi_processes"] < 1:
            raise CommandError("--workers and --uwsgi-processes must be at least 1")
        if o["socket_timeout"] <= 20:
            raise CommandError("--socket-timeout must be above the servers' 20 s ping")
        if bool(o["tls_cert"]) != bool(o["tls_key"]):
            raise CommandError("--tls-cert and --tls-key go together")
        root = plain_path(Path(o["root"]).absolute(), "--root")
        out = plain_path(Path(o["out"] or f"{root}/conf").absolute(), "--out")
        python = plain_path(Path(o["python"]).absolute(), "--python")
        venv = self.virtualenv(Path(python))
        env_file = plain_path(Path(o["env_file"] or f"{root}/env").absolute(), "--env-file")
        try:
            account = pwd.getpwnam(o["user"])
        except KeyError:
            raise CommandError(f"no such user: {o['user']}") from None
        names = [n.strip() for n in o["server_name"].split(",") if n.strip()]
        if not names or any(not re.match(r"^[A-Za-z0-9.*_-]+$", n) for n in names):
            raise CommandError("--server-name: host names, comma-separated")
        tls = bool(o["tls_cert"])
        behind_proxy = ""
        if o["behind_proxy"]:
            try:
                behind_proxy = str(ipaddress.ip_network(o["behind_proxy"], strict=False))
            except ValueError as exc:
                raise CommandError(f"--behind-proxy: {exc}") from None
        scheme, port = ("https", o["tls_listen"]) if tls else ("http", o["listen"])
        suffix = "" if port == {"http": 80, "https": 443}[scheme] else f":{port}"
        run_dir, log_dir = f"{root}/run", f"{root}/log"
        workers = self.workers(o, run_dir)
        nginx = o["nginx"]
        if o["supervise_nginx"] and not shutil.which(nginx):
            raise CommandError(f"nginx not found at {nginx}")
        programs = [f"{venv}/bin/supervisord"]
        programs.append(f"{venv}/bin/{'uvicorn' if o['asgi_server'] == 'uvicorn' else 'daphne'}")
        if o["http_server"] == "uwsgi":
            programs.append(f"{venv}/bin/uwsgi")
        for program in programs:
            if not os.access(program, os.X_OK):
                raise CommandError(f"{program} is missing: pip install -e '.[deploy]' into {venv}")
        ctx = {
            "root": root,
            "out": out,
            "project": plain_path(settings.BASE_DIR, "the project directory"),
            "python": python,
            "venv": venv,
            "env_file": env_file,
            "user": account.pw_name,
            "group": grp.getgrgid(account.pw_gid).gr_name,
            "uid": account.pw_uid,
            "gid": account.pw_gid,
            "variant": o["variant"],
            "asgi_server": o["asgi_server"],
            "http_server": o["http_server"],
            "variant_label": (
                f"{o['asgi_server']} on {'unix sockets' if o['variant'] == 'unix' else 'TCP'}"
                f", HTTP by {'uwsgi' if o['http_server'] == 'uwsgi' else o['asgi_server']}"
            ),
            "workers": workers,
            "numprocs_start": workers[0]["num"],
            "uwsgi_processes": o["uwsgi_processes"],
            "nginx_workers": o["nginx_workers"],
            "server_name": " ".join(names),
            "server_names": ",".join(names),
            "origins": ",".join(f"{scheme}://{n}{suffix}" for n in names if "*" not in n),
            "site_url": f"{scheme}://{names[0]}{suffix}",
            "listen": o["listen"],
            "tls": tls,
            "tls_listen": o["tls_listen"],
            "tls_cert": plain_path(o["tls_cert"], "--tls-cert") if tls else "",
            "tls_key": plain_path(o["tls_key"], "--tls-key") if tls else "",
            "acme_dir": f"{root}/acme",
            "behind_proxy": behind_proxy,
            # the scheme the client used, as the app is told it (X-Forwarded-Proto)
            "proto": "$restaurant_proto" if behind_proxy else "$scheme",
            "run_dir": run_dir,
            "log_dir": log_dir,
            "socket_timeout": o["socket_timeout"],
            "supervise_nginx": o["supervise_nginx"],
            "nginx": nginx,
            "secret_key": secrets.token_urlsafe(50),
            "command_args": self.command_args(o, root, out),
        }
        ctx["asgi_command"] = self.asgi_command(ctx)
        # Written by the app's processes (as --user): run/ (sockets, pids), log/, var/; read by
        # nginx: acme/. nginx (root) makes its own temp directories' subdirectories.
        paths = [Path(run_dir), Path(log_dir), Path(root, "var"), Path(ctx["acme_dir"])]
        return ctx, paths

    @staticmethod
    def virtualenv(python: Path) -> str:
        if python == Path(sys.executable).absolute():
            return plain_path(sys.prefix, "the virtualenv")
        venv = python.parent.parent
        if not (venv / "pyvenv.cfg").exists():
            raise CommandError(f"--python {python} is not inside a virtualenv")
        return plain_path(venv, "the virtualenv")

    @staticmethod
    def workers(o, run_dir: str) -> list[dict]:
        server, count = o["asgi_server"], o["workers"]
        if o["variant"] == "unix":
            workers = [
                {"num": i, "name": f"{server}-{i}", "socket": f"{run_dir}/{server}-{i}.sock"}
                for i in range(count)
            ]
            for worker in workers:
                if len(worker["socket"]) > UNIX_PATH_MAX:
                    raise CommandError(f"socket path too long for unix sockets: {worker}")
                worker["upstream"] = f"unix:{worker['socket']}"
            return workers
        base = o["asgi_port"]
        if not 1 <= base <= 65535 - count:
            raise CommandError("--asgi-port out of range")
        # supervisord cannot add to %(process_num)d: the port *is* the process number.
        return [
            {
                "num": base + i,
                "name": f"{server}-{base + i}",
                "port": base + i,
                "upstream": f"127.0.0.1:{base + i}",
            }
            for i in range(count)
        ]

    @staticmethod
    def asgi_command(ctx: dict) -> str:
        run, server = ctx["run_dir"], ctx["asgi_server"]
        if server == "daphne":
            # Our daphne entry point: 16 KiB limit, oversized frames closed with 1009.
            bind = (
                f"-u {run}/daphne-%(process_num)d.sock"
                if ctx["variant"] == "unix"
                else "-b 127.0.0.1 -p %(process_num)d"
            )
            # No --proxy-headers: the app decides the client's address itself, believing
            # X-Forwarded-For from TRUSTED_PROXIES only (daphne's takes the leftmost entry,
            # which the client writes).
            return (
                f"{ctx['python']} -m restaurant.core.asgi_server {bind} "
                "--access-log - config.asgi:application"
            )
        if ctx["variant"] == "unix":
            bind = f"--uds {run}/uvicorn-%(process_num)d.sock"
        else:
            bind = "--host 127.0.0.1 --port %(process_num)d"
        return (
            f"{ctx['venv']}/bin/uvicorn config.asgi:application {bind} --no-proxy-headers "
            "--ws-max-size 16384 --lifespan off --no-server-header "
            "--timeout-graceful-shutdown 10"
        )

    @staticmethod
    def command_args(o, root: str, out: str) -> str:
        """This rendering's own command line, for the env file's "render again" note."""
        options = {"root": root, "user": o["user"], "variant": o["variant"],
                   "workers": o["workers"], "out": out, "server-name": o["server_name"],
                   "listen": o["listen"]}  # fmt: skip
        if o["variant"] == "tcp":
            options["asgi-port"] = o["asgi_port"]
        for flag in ("asgi_server", "http_server", "tls_cert", "tls_key", "env_file",
                     "behind_proxy"):  # fmt: skip
            default = {"asgi_server": "daphne", "http_server": "uwsgi"}.get(flag)
            if o[flag] and o[flag] != default:
                options[flag.replace("_", "-")] = o[flag]
        args = [part for name, value in options.items() for part in (f"--{name}", str(value))]
        if o["supervise_nginx"]:
            args.append("--supervise-nginx")
        return " ".join(shlex.quote(a) for a in args)

    # --- output ------------------------------------------------------------------------------
    @staticmethod
    def render(name: str, ctx: dict) -> str:
        engine = Engine(dirs=[str(TEMPLATES)], autoescape=False, string_if_invalid=MISSING)
        text = engine.get_template(name).render(Context(ctx, autoescape=False))
        if "@@MISSING:" in text:
            raise CommandError(f"{name}: {re.search(r'@@MISSING:[^@]*@@', text).group()}")
        lines = [line.rstrip() for line in text.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"

    def write(self, path: Path, text: str, mode: int, ctx: dict) -> None:
        temporary = path.with_name(path.name + ".new")
        temporary.write_text(text)
        temporary.chmod(mode)
        self.chown(temporary, ctx)
        temporary.replace(path)  # atomic: a running supervisord never reads half a file

    @staticmethod
    def chown(path: Path, ctx: dict) -> None:
        """As root for another user, leave the files that user's processes need to them."""
        if os.geteuid() == 0 and ctx["uid"] != 0:
            os.chown(path, ctx["uid"], ctx["gid"])

    def report(self, ctx: dict, names: list[str], as_json: bool) -> None:
        layout = {
            "out": ctx["out"],
            "files": {name: f"{ctx['out']}/{name}" for name in names},
            "supervisorctl": f"{ctx['venv']}/bin/supervisorctl -c {ctx['out']}/supervisord.conf",
            "program": ctx["asgi_server"],
            "workers": [{k: v for k, v in w.items() if k != "upstream"} for w in ctx["workers"]],
            "uwsgi_socket": f"{ctx['run_dir']}/uwsgi.sock"
            if ctx["http_server"] == "uwsgi"
            else None,
            "static_root": ctx["static_root"],
            "media_root": ctx["media_root"],
            "log_dir": ctx["log_dir"],
        }
        if as_json:
            self.stdout.write(json.dumps(layout, indent=2))
            return
        self.stdout.write(f"Rendered {ctx['variant_label']} into {ctx['out']}:")
        for name in names:
            self.stdout.write(f"  {name}")
        self.stdout.write(f"Logs: {ctx['log_dir']}/   Control: {layout['supervisorctl']} status")
