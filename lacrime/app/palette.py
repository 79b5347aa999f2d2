"""The dashboard's colours, one per model and one per meaning, on every chart and map legend.

Series colours come from the Okabe-Ito palette (told apart with the common colour-vision
deficiencies). A model keeps its colour on every page; a meaning ("reports", "flagged by a data
check", "context", "the chosen one") keeps its own, and no meaning borrows a model's colour.
"""

BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
PINK = "#CC79A7"
SKY = "#56B4E9"
VERMILLION = "#D55E00"
BLACK = "#000000"

# Meanings.
REPORTS = "#3E4A59"  # counted reports: dark slate, apart from every model's colour
FLAGGED = VERMILLION  # values a data-quality check marks (default times, incomplete weeks)
CONTEXT = "#9AA5B1"  # grey: the city beside an area, the band of an interval, past weeks
CHOSEN = BLACK  # the hour, weekday or area the user chose

# Hotspot models (code name: colour); the default, random forest, is blue everywhere.
HOTSPOT_MODELS: dict[str, str] = {
    "random_forest_smote": BLUE,
    "all_history": ORANGE,
    "last_week": GREEN,
    "kde": PINK,
    "knn": SKY,
}
# Hourly models; they never share a chart with the hotspot models.
HOURLY_MODELS: dict[str, str] = {
    "poisson_spline": BLUE,
    "polynomial": ORANGE,
    "baseline": GREEN,
}
# The three watches (calendar.WATCHES), night to evening.
WATCHES: dict[str, str] = {"night": "#332288", "day": ORANGE, "evening": PINK}
# Peers without a fixed meaning (weekdays, crime groups), in order.
SERIES: tuple[str, ...] = (BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, BLACK)
