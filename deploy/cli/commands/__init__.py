"""One module per `./run` subcommand; each exposes `register(subparsers)`."""
