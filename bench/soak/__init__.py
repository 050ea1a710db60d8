"""`./run bench soak`: the whole pipeline at a steady load for a long time (issue 17)."""
