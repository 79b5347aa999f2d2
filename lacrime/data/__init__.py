"""The data stage: LAPD exports read and validated, cleaned with a report of what was removed
and why, the exclusion list, crime groups, and the cleaned dataset on disk."""
