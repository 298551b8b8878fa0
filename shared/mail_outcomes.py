"""The letter journal's outcome codes (services/certmail/rules.py) as the administrator's pages name them: certmail
stores the codes, the gateway's pages show these names."""

OUTCOME_NAMES = {
    "auto_submitted": "Автоматическое письмо: оставлено без ответа",
    "other_template": "Тема другого процесса информационного взаимодействия",
    "untrusted_sender": "Адрес отправителя не является доверенным: письмо оставлено без ответа",
    "unknown_template": "Тема письма не соответствует ни одному из известных шаблонов",
    "no_cer": "Нет файла сертификата *.cer",
    "invalid_files": "Приложены недопустимые файлы",
    "cert_malformed": "Файл сертификата повреждён",
    "cert_invalid": "Сертификат недействителен",
    "unknown_ca": "Сертификат выдан неизвестным удостоверяющим центром",
    "crl_unavailable": "Нет действующего списка отозванных сертификатов",
    "snils_mismatch": "СНИЛС в сертификате отличается от зарегистрированного",
    "snils_missing": "СНИЛС нет ни в сертификате, ни в справочнике абонентов",
    "installed": "Сертификат установлен",
    "install_error": "Ошибка установки сертификата",
    "internal_error": "Внутренняя ошибка обработки письма",
}
