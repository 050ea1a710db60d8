"""The Kafka -> database sink: readings and alarm events into storage/, offsets committed
only after the database commit (at-least-once delivery + idempotent writes = exactly-once)."""
