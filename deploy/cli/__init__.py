"""The `./run` command line: one module per subcommand under `deploy/cli/commands/`."""
