"""Bearer tokens and the scope they carry (DESIGN section 7)."""
