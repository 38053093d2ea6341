"""Inspections: recording at the storefront, corrections, the rectification loop, checklists,
scan proofs, the regulator's risk grade and the regulatory view of a scan."""
