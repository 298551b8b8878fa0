"""Policy (ДПФС) types as ФЕРЗЛ spells them (pcyType letters), with their names."""

POLICY_TYPES = {
    "С": "Полис ОМС старого образца",
    "В": "Временное свидетельство в форме бумажного бланка",
    "Е": "Временное свидетельство в форме электронного документа",
    "П": "Бумажный полис ОМС единого образца",
    "Э": "Электронный полис ОМС единого образца",
    "К": "Полис ОМС в составе УЭК",
    "Ц": "Цифровой полис ОМС",
    "Х": "Состояние на учёте без полиса ОМС",
    "М": "Состояние на учёте МФЦ",
}

# Types a user may choose in a request (Х and М are states, not documents).
REQUEST_POLICY_TYPES = ("С", "В", "Е", "П", "Э", "К", "Ц")

# Latin look-alikes users type by mistake.
LATIN_TO_CYRILLIC = str.maketrans({"C": "С", "B": "В", "E": "Е", "P": "П", "K": "К", "X": "Х", "M": "М"})


def policy_type_name(code: str | None) -> str:
    return POLICY_TYPES.get(code or "", code or "")


# Groups by what the number is (manual §4.1): С has its own series and number.
OLD_POLICY_TYPE = "С"
UNIFIED_POLICY_TYPES = ("П", "Э", "К", "Ц")  # the number is the 16-digit ЕНП
TEMPORARY_POLICY_TYPES = ("В", "Е")  # temporary certificates: a 9-digit number (tmpcertNum)
