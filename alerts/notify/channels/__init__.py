"""The adapters of the `Channel` port, one module per service, and the table naming them."""
