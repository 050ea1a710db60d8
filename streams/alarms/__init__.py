"""The alarm aggregate: one device's alarms as a pure, event-sourced state machine.

Inputs are detections (from `streams.rules`), commands and timer ticks; outputs are the
events of `schemas.events` plus the new state. The faust agent that owns the device key is
the single writer, so everything here assumes inputs for one device arrive in order.
"""
