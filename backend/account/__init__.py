"""Signing in and out, refresh-token rotation, staff binding and the caller's own profile."""
