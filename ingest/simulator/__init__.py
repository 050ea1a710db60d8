"""A simulated fleet of detectors: pure generators (`fleet`) and an MQTT publisher (`publisher`)."""
