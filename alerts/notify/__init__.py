"""Outbound notifications: what to tell whom (`policy`), the `Notifier` port and its adapters."""
