"""The МО dictionary loader reads the FFOMS register of medical organisations (F003): packet/medCompany
with mcod, nam_mok, nam_mop, tf_okato -- here a small synthetic file in that format."""

from services import admin

F003 = """<?xml version="1.0" encoding="windows-1251"?>
<packet version="1.0" date="01.01.2026">
  <zglv><type>F003</type><version>1.0</version><date>2026-01-01</date></zglv>
  <medCompany>
    <tf_okato>46000</tf_okato><mcod>509001</mcod><nam_mop>ГОСУДАРСТВЕННОЕ БЮДЖЕТНОЕ УЧРЕЖДЕНИЕ ЗДРАВООХРАНЕНИЯ
      МОСКОВСКОЙ ОБЛАСТИ "ТЕСТОВАЯ БОЛЬНИЦА № 1"</nam_mop><nam_mok>ГБУЗ МО "ТЕСТОВАЯ БОЛЬНИЦА № 1"</nam_mok>
    <inn>5000000001</inn><Ogrn>1025000000001</Ogrn><KPP>500001001</KPP>
    <jurAddress><index_j>140000</index_j><addr_j>МО, г. Примерный</addr_j></jurAddress>
    <medInclude><d_begin>01.01.2020</d_begin></medInclude><d_edit>01.01.2026</d_edit>
  </medCompany>
  <medCompany><tf_okato>46000</tf_okato><mcod>509002</mcod><nam_mop>ООО "МАКЕТНАЯ КЛИНИКА"</nam_mop></medCompany>
  <medCompany><tf_okato>45000</tf_okato><mcod>779003</mcod><nam_mok>ГБУЗ "МОСКОВСКАЯ ТЕСТОВАЯ"</nam_mok></medCompany>
  <medCompany><tf_okato>46000</tf_okato><mcod>50X</mcod><nam_mok>НЕВЕРНЫЙ КОД</nam_mok></medCompany>
  <medCompany><tf_okato>46000</tf_okato><mcod>509004</mcod></medCompany>
</packet>
"""


def test_short_names_are_preferred_and_broken_rows_skipped():
    rows, skipped = admin.parse_mo_register(F003.encode("cp1251"))
    assert rows == [
        ("509001", 'ГБУЗ МО "ТЕСТОВАЯ БОЛЬНИЦА № 1"'),
        ("509002", 'ООО "МАКЕТНАЯ КЛИНИКА"'),
        ("779003", 'ГБУЗ "МОСКОВСКАЯ ТЕСТОВАЯ"'),
    ]
    assert skipped == 2


def test_one_territory_and_case_insensitive_names():
    rows, _ = admin.parse_mo_register(F003.encode("cp1251"), okato="46000")
    assert [code for code, _ in rows] == ["509001", "509002"]
    upper = F003.replace("mcod>", "MCOD>").replace("nam_mok>", "NAM_MOK>").replace("nam_mop>", "NAM_MOP>")
    assert admin.parse_mo_register(upper.encode("cp1251"))[0] == rows + [("779003", 'ГБУЗ "МОСКОВСКАЯ ТЕСТОВАЯ"')]


def test_names_keep_single_spaces():
    rows, _ = admin.parse_mo_register(F003.replace("<nam_mok>ГБУЗ МО", "<nam_mok>ГБУЗ   МО\n").encode("cp1251"))
    assert rows[0][1] == 'ГБУЗ МО "ТЕСТОВАЯ БОЛЬНИЦА № 1"'
