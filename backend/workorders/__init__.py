"""Work orders (一网统管): every problem found, whatever raised it, dispatched by rules to
the department that owns it, handled on working-day deadlines, and closed once whoever
raised it has been told how it ended; each step on the order's hash-chained history."""
