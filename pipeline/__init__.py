"""Everything with side effects: readers, store, ingest, search, evaluation, CLI."""
