"""The FIX session layer: a sans-IO state machine with time passed in."""
