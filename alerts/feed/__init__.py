"""The live feed: one Kafka consumer per process, fanned out to many SSE clients."""
