"""The community app's rules: membership, notices, polls, bookings, forms, reports, gates."""
