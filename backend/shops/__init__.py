"""Shops: registration, claims and changes, profile, licences, staff, honours, photos, the
shop's code, its one status rule, and the views of it a scan gives."""
