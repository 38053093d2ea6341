"""Open data: what anyone may read about the district's shops, and in the open standards
others read it in (RFC 7946 GeoJSON). Never personal data."""
