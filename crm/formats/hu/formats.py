# Hungarian formats as Hungarian business documents write them: 2026. 11. 22.
DATE_FORMAT = "Y. m. d."
SHORT_DATE_FORMAT = "Y. m. d."
DATETIME_FORMAT = "Y. m. d. H:i"
SHORT_DATETIME_FORMAT = "Y. m. d. H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y. F"
MONTH_DAY_FORMAT = "F j."
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = [
    "%Y. %m. %d.",  # 2026. 11. 22.
    "%Y.%m.%d.",  # 2026.11.22.
    "%Y. %m. %d",
    "%Y.%m.%d",
    "%Y-%m-%d",  # ISO, what <input type="date"> sends
]
DATETIME_INPUT_FORMATS = [
    "%Y. %m. %d. %H:%M:%S",
    "%Y. %m. %d. %H:%M",
    "%Y.%m.%d. %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space: 1 234 567 Ft
NUMBER_GROUPING = 3
