"""Readers of the files LAPD publishes: the legacy crime data and the NIBRS offenses feed.

`formats` reads any of the containers (CSV, gzip, zip, Parquet, JSON) into Arrow columns of
text; `columns` types them; `legacy` and `nibrs` say which fields each source has and how
they map onto the cleaned dataset's columns.
"""
