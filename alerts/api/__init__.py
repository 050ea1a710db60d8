"""HTTP routes of the alerts service, one module per concept (DESIGN section 12)."""
