"""``congvan watch INBOX``: the command-line face of :func:`pipeline.watch.watch`.

Example::

    congvan watch /srv/congvan/inbox --db /srv/congvan/congvan.db
    congvan watch /mnt/share/inbox --poll --poll-interval 5      # a network share
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("watch")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", "db_path", default="congvan.db", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite database file; originals are archived beside it (congvan.archive/).")
@click.option("--processed", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where stored originals are moved.  [default: INBOX/processed]")
@click.option("--failed", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where failures go, each with NAME.error.txt saying why.  [default: INBOX/failed]")
@click.option("--duplicates", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where files whose content is already stored go, with NAME.duplicate.txt.  [default: INBOX/duplicates]")
@click.option("--settle", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a file's size and time must stay unchanged before it is read.")
@click.option("--poll", is_flag=True, help="Scan the folder instead of waiting for events (network shares).")
@click.option("--poll-interval", default=2.0, show_default=True, type=click.FloatRange(min=0.05), help="Seconds between scans with --poll.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=0),
              help="Processes reading files (OCR); 0 reads in the watcher itself.")
@click.option("--grace", default=10.0, show_default=True, type=click.FloatRange(min=0),
              help="On SIGTERM/Ctrl-C, seconds to let files being read finish; the rest stay in the inbox.")
@click.option("--once", is_flag=True, help="Process what is in the inbox now, then exit.")
def watch(inbox: Path, db_path: Path, processed: Path | None, failed: Path | None, duplicates: Path | None,
          settle: float, poll: bool, poll_interval: float, workers: int, grace: float, once: bool) -> None:
    """Watch INBOX and ingest every file dropped into it; nothing is ever lost.

    Each file is read once it has stopped growing, stored (its original archived beside the
    database), then moved to processed/; a failure goes to failed/ with NAME.error.txt saying
    why; content already stored goes to duplicates/ with NAME.duplicate.txt. Names never clash
    (NAME (1).pdf). Files that arrived while the watcher was down are done at start-up.
    SIGTERM or Ctrl-C stops it cleanly.

    Example: congvan watch inbox/ --db congvan.db
    """
    from pipeline.watch import WatchConfig
    from pipeline.watch import watch as run

    cfg = WatchConfig(inbox, db_path, processed, failed, duplicates, settle=settle, poll=poll,
                      poll_interval=poll_interval, workers=workers, grace=grace, once=once)
    run(cfg, report=click.echo)
