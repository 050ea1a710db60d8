"""`./run demo`: a simulated county run end to end through the real stack."""
