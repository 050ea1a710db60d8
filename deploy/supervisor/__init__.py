"""The process supervisor of `./run up`: restarts what exits, with backoff, and gives up on a
crash loop (docs/internals.md "Processes")."""
