"""Detection rules: pure functions over one device's readings, on the device's own clock.

Each module holds one condition as `evaluate(state, input, rule) -> (new_state, decisions)`.
No I/O, no wall clock: the agents pass time in (reading `ts`, or a tick's `now` for offline).
"""
