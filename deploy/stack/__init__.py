"""The local stack (DESIGN section 9): Mosquitto, Kafka, PostgreSQL and Prometheus on loopback,
with their data under `.stack/`, started without Docker."""
