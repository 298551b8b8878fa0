"""F011 «Классификатор типов документов, удостоверяющих личность» (ДУЛ): code -> (name, series mask, number mask).

Mask letters (F011): `9` digit, `0` optional digit, `Б` Russian capital letter, `R` Roman numeral,
`S`/`S1` free text. Source: /work/shared/reference/ferzl-interface.md §6 (codes 1–17 agree in two MIS
sources and the number lengths of a third). Codes 18–28: names from public MIS code lists, masks
INFERRED (free text) — see INFERRED_MASKS. Codes 19 and 20 are not known and are left out.
Check the current F011 release on nsi.ffoms.ru before relying on the inferred rows.
"""

FREE_NUMBER = "S20"  # our own marker: free text number, up to 20 characters (inferred)

F011 = {
    1: ("Паспорт гражданина СССР", "R-ББ", "999999"),
    2: ("Загранпаспорт гражданина СССР", "S", "00000009"),
    3: ("Свидетельство о рождении, выданное в РФ", "R-ББ", "999999"),
    4: ("Удостоверение личности офицера", "ББ", "9999999"),
    5: ("Справка об освобождении из места лишения свободы", "S", "00000009"),
    6: ("Паспорт Минморфлота", "ББ", "999999"),
    7: ("Военный билет", "ББ", "9999990"),
    8: ("Дипломатический паспорт гражданина РФ", "99", "9999999"),
    9: ("Паспорт иностранного гражданина", "S", "0000000009"),
    10: ("Свидетельство о регистрации ходатайства о признании иммигранта беженцем", "S", "00000009"),
    11: ("Вид на жительство", "S1", "00000009"),
    12: ("Удостоверение беженца в РФ", "S", "00000009"),
    13: ("Временное удостоверение личности гражданина РФ", "S", "00000009"),
    14: ("Паспорт гражданина РФ", "99 99", "9999990"),
    15: ("Заграничный паспорт гражданина РФ", "99", "9999999"),
    16: ("Паспорт моряка", "ББ", "9999990"),
    17: ("Военный билет офицера запаса", "ББ", "999999"),
    18: ("Иные документы", "S1", FREE_NUMBER),
    21: ("Документ иностранного гражданина", "S1", FREE_NUMBER),
    22: ("Документ лица без гражданства", "S1", FREE_NUMBER),
    23: ("Разрешение на временное проживание", "S1", FREE_NUMBER),
    24: ("Свидетельство о рождении, выданное не в РФ", "S1", FREE_NUMBER),
    25: ("Свидетельство о предоставлении временного убежища на территории РФ", "99", "9999999"),
    26: ("Удостоверение сотрудника Евразийской экономической комиссии", "S1", FREE_NUMBER),
    27: ("Копия жалобы о лишении статуса беженца", "S1", FREE_NUMBER),
    28: ("Иной документ, соответствующий свидетельству о предоставлении убежища на территории РФ", "S1", FREE_NUMBER),
}

# Codes whose masks are our inference, not a confirmed F011 row.
INFERRED_MASKS = frozenset({18, 21, 22, 23, 24, 25, 26, 27, 28})


def dul_type_choices() -> list[tuple[int, str]]:
    """(code, name) pairs for a drop-down, in code order."""
    return [(code, F011[code][0]) for code in sorted(F011)]
