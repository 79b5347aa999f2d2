"""What the dashboard's pages call: Streamlit glue, charts, the map, and the tables each page
shows. Pages import this package only, never the stages behind it."""
