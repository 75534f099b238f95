"""``congvan serve``: the web interface (:func:`pipeline.web.create_app`) under uvicorn.

Examples::

    congvan serve --db congvan.db                      # http://127.0.0.1:8000, this machine only
    congvan serve --make-token /etc/congvan/token      # prints a new shared token once, stores its hash
    congvan serve --db /srv/congvan.db --host 0.0.0.0 --token-file /etc/congvan/token
    congvan serve --token-file /etc/congvan/token --add-user lan    # an account (asks for the password)
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(line + "\n")


@click.command("serve")
@click.option("--db", "db_path", default="congvan.db", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite database file; originals are archived beside it.")
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder uploads go to and files are ingested from.  [default: beside the database, NAME.inbox/]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but a loopback address needs --token-file.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Credentials, stored hashed: a shared token's hash and/or NAME:hash accounts (or set CONGVAN_TOKEN_HASH).")
@click.option("--make-token", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Add a new random shared token's hash to FILE, print the token once, and exit.")
@click.option("--add-user", metavar="NAME", default=None, help="Ask for NAME's password, add it (hashed) to --token-file, exit.")
@click.option("--max-upload-mb", default=50, show_default=True, type=click.IntRange(min=1), help="Largest upload accepted.")
@click.option("--no-watch", is_flag=True, help="Do not ingest the inbox in this process (a separate `congvan watch` does).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=0),
              help="Processes reading uploaded files (OCR); 0 reads in the server itself.")
@click.option("--https", "https_only", is_flag=True, help="Mark cookies Secure (when served behind an HTTPS proxy).")
@click.option("--public-url", default=None, help="The address people use, for links in exports (default http://HOST:PORT).")
def serve(db_path: Path, inbox: Path | None, host: str, port: int, token_file: Path | None, make_token: Path | None,
          add_user: str | None, max_upload_mb: int, no_watch: bool, workers: int, https_only: bool,
          public_url: str | None) -> None:
    """Serve the web interface: search, documents beside their originals, corrections, tasks, inbox.

    Listens on 127.0.0.1 unless told otherwise; another address is refused without credentials.
    Files uploaded on the inbox page go into the inbox folder and are ingested like files copied
    there by hand (this server runs the watcher unless --no-watch).

    Example: congvan serve --db congvan.db --port 8000
    """
    from pipeline.web.security import hash_secret

    if make_token:
        token = secrets.token_urlsafe(24)
        _append_line(make_token, hash_secret(token))
        click.echo(f"shared token (shown once; only its hash is stored in {make_token}):\n{token}")
        return
    if add_user:
        if not token_file:
            raise click.UsageError("--add-user needs --token-file FILE to store the account in")
        if ":" in add_user or not add_user.strip():
            raise click.UsageError("an account name cannot be empty or contain ':'")
        password = click.prompt(f"password for {add_user}", hide_input=True, confirmation_prompt=True)
        _append_line(token_file, f"{add_user.strip()}:{hash_secret(password)}")
        click.echo(f"account {add_user} added to {token_file}")
        return

    import uvicorn

    from pipeline.web import ConfigError, Credentials, WebConfig, create_app

    try:
        creds = Credentials.load(token_file)
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"cannot read credentials from {token_file}: {exc}") from None
    cfg = WebConfig(db_path, inbox=inbox, host=host, port=port, credentials=creds, max_upload=max_upload_mb * 1024 * 1024,
                    watch=not no_watch, workers=workers, https_only=https_only, public_url=public_url)
    try:
        app = create_app(cfg)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"congvan: http://{shown}:{port}/  (database {db_path}, inbox {cfg.inbox}"
               f"{', login required' if creds else ''}); Ctrl-C stops", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
