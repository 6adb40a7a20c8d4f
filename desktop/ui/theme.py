"""Colours shared by the widgets."""

# Colour of error text, dark enough to read on the light and grey backgrounds
# of the default Qt styles.
ERROR_COLOR = "#b3261e"
