"""What admins watch over their region: the dashboard and the audit log."""
