"""How mail clients mark the end of a reply, per language, as data: the attribution verb ("… wrote:"),
the field names of an Outlook-style reply header ("From: / Sent: / To: / Subject:"), the banner of an
original message ("-----Original Message-----"), the mobile signature ("Sent from my iPhone") and the
subject an out-of-office answer starts with ("Automatische Antwort:").

The languages and words follow the per-language tables of mail-parser-reply
(alfonsrv/mail-parser-reply, `MAIL_LANGUAGES`) and talon's quotation patterns, extended with the
languages those lack. They are kept here as words, not as those libraries' regexes: mail-parser-reply
wants the caller to name the mail's languages in advance and its regexes are written for its own
splitter, and talon is unmaintained and heavy (lxml, cchardet). One table for every language at once
costs one compiled regex per kind, so adding a language is adding a row.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple


class Language(NamedTuple):
    # Words that end an attribution line before its colon ("Am …, Dana <d@x> schrieb:").
    wrote: tuple[str, ...]
    # Outlook's reply header fields, as that client's language writes them.
    header_from: tuple[str, ...]
    header_sent: tuple[str, ...]
    header_to: tuple[str, ...]
    header_subject: tuple[str, ...]
    # "-----Original Message-----" in that language.
    banner: tuple[str, ...]
    # The signature a phone or Outlook's app adds.
    sent_from: tuple[str, ...]
    # The subject prefix of an out-of-office answer, for the ones sent without `Auto-Submitted`.
    auto_reply: tuple[str, ...] = ()


LANGUAGES: dict[str, Language] = {
    "en": Language(("wrote", "writes", "said"), ("From",), ("Sent", "Date"), ("To",), ("Subject",),
                   ("Original Message", "Original message", "Reply message"),
                   ("Sent from my", "Sent from Mail for Windows", "Sent from Outlook", "Sent from Yahoo Mail",
                    "Sent from ProtonMail", "Sent with Proton Mail", "Sent via", "Get Outlook for"),
                   ("Automatic reply", "Auto reply", "Auto-reply", "Autoreply", "Automatic response", "Auto response",
                    "Auto-response", "Autoresponse", "Out of Office", "Out of the Office")),
    "de": Language(("schrieb", "geschrieben"), ("Von",), ("Gesendet", "Datum"), ("An",), ("Betreff",),
                   ("Ursprüngliche Nachricht", "Originalnachricht"),
                   ("Von meinem iPhone gesendet", "Von meinem", "Gesendet von meinem", "Gesendet von",
                    "Outlook für"),
                   ("Automatische Antwort", "Abwesenheitsnotiz", "Automatische Abwesenheitsnotiz")),
    "fr": Language(("a écrit",), ("De",), ("Envoyé", "Date"), ("À", "A"), ("Objet",),
                   ("Message d'origine", "Message original"),
                   ("Envoyé de mon", "Envoyé depuis mon", "Envoyé depuis", "Obtenir Outlook pour",
                    "Télécharger Outlook pour"),
                   ("Réponse automatique", "Reponse automatique", "Absence du bureau", "Absent du bureau")),
    "es": Language(("escribió",), ("De",), ("Enviado", "Enviada", "Fecha"), ("Para",), ("Asunto",),
                   ("Mensaje original",),
                   ("Enviado desde mi", "Enviado desde", "Obtener Outlook para", "Descargar Outlook para"),
                   ("Respuesta automática", "Respuesta automatica", "Fuera de la oficina")),
    "it": Language(("ha scritto",), ("Da",), ("Inviato", "Data"), ("A",), ("Oggetto",),
                   ("Messaggio originale",),
                   ("Inviato da iPhone", "Inviato dal mio", "Inviato da", "Scarica Outlook per",
                    "Ottieni Outlook per"),
                   ("Risposta automatica", "Fuori sede", "Fuori ufficio")),
    "pt": Language(("escreveu",), ("De",), ("Enviado", "Enviada", "Data"), ("Para",), ("Assunto",),
                   ("Mensagem original",),
                   ("Enviado do meu", "Enviado do", "Enviado a partir do", "Obter o Outlook para",
                    "Baixe o Outlook para"),
                   ("Resposta automática", "Resposta automatica", "Ausência temporária", "Fora do escritório")),
    "nl": Language(("schreef", "het volgende geschreven", "geschreven"), ("Van",), ("Verzonden", "Datum"), ("Aan",),
                   ("Onderwerp",),
                   ("Oorspronkelijk bericht", "Origineel bericht"),
                   ("Verzonden vanaf mijn", "Verstuurd vanaf mijn", "Verzonden met", "Outlook voor"),
                   ("Automatisch antwoord", "Afwezigheidsbericht")),
    "sv": Language(("skrev",), ("Från",), ("Skickat", "Datum"), ("Till",), ("Ämne",),
                   ("Ursprungligt meddelande", "Originalmeddelande"),
                   ("Skickat från min", "Skickat från", "Hämta Outlook för"),
                   ("Automatiskt svar", "Frånvaromeddelande")),
    "da": Language(("skrev",), ("Fra",), ("Sendt", "Dato"), ("Til",), ("Emne",),
                   ("Oprindelig meddelelse", "Original meddelelse"),
                   ("Sendt fra min", "Sendt fra", "Hent Outlook til", "Få Outlook til"),
                   ("Automatisk svar", "Autosvar")),
    "no": Language(("skrev",), ("Fra",), ("Sendt", "Dato"), ("Til",), ("Emne",),
                   ("Opprinnelig melding", "Original melding"),
                   ("Sendt fra min", "Sendt fra", "Få Outlook for"),
                   ("Automatisk svar", "Autosvar")),
    "fi": Language(("kirjoitti",), ("Lähettäjä",), ("Lähetetty", "Päivämäärä"), ("Vastaanottaja",), ("Aihe",),
                   ("Alkuperäinen viesti",),
                   ("Lähetetty iPhonesta", "Lähetetty iPadista", "Lähetetty Android", "Lähetetty laitteesta",
                    "Hanki Outlook"),
                   ("Automaattinen vastaus", "Poissaoloviesti", "Lomavastaaja")),
    "et": Language(("kirjutas",), ("Saatja",), ("Saadetud", "Kuupäev"), ("Adressaat", "Saaja"), ("Teema",),
                   ("Algne sõnum",), ("Saadetud minu", "Saadetud minu"),
                   ("Automaatvastus",)),
    "pl": Language(("napisał(a)", "napisała", "napisał", "pisze"), ("Od", "Nadawca"), ("Wysłano", "Data"),
                   ("Do",), ("Temat",), ("Wiadomość oryginalna", "Oryginalna wiadomość"),
                   ("Wysłane z mojego", "Wysłane z", "Wysłano z", "Pobierz Outlook dla"),
                   ("Automatyczna odpowiedź", "Odpowiedź automatyczna", "Autoodpowiedź")),
    "cs": Language(("napsal(a)", "napsala", "napsal"), ("Od",), ("Odesláno", "Datum"), ("Komu",), ("Předmět",),
                   ("Původní zpráva",), ("Odesláno z mého", "Odesláno z", "Stáhněte si Outlook pro"),
                   ("Automatická odpověď",)),
    "sk": Language(("napísal(a)", "napísala", "napísal"), ("Od",), ("Odoslané", "Dátum"), ("Komu",),
                   ("Predmet",), ("Pôvodná správa",), ("Odoslané z môjho", "Odoslané z"),
                   ("Automatická odpoveď",)),
    "ru": Language(("написал(а)", "написала", "написал", "пишет"), ("От", "От кого"), ("Отправлено", "Дата"),
                   ("Кому",), ("Тема",), ("Исходное сообщение", "Пересылаемое сообщение"),
                   ("Отправлено с моего", "Отправлено с", "Отправлено из", "Скачайте Outlook для"),
                   ("Автоматический ответ", "Автоответ")),
    "uk": Language(("написав(ла)", "написала", "написав", "пише"), ("Від",), ("Надіслано", "Дата"), ("Кому",),
                   ("Тема",), ("Оригінальне повідомлення", "Вихідне повідомлення"),
                   ("Надіслано з мого", "Надіслано з", "Відправлено з"),
                   ("Автоматична відповідь", "Автовідповідь")),
    "bg": Language(("написа",), ("От",), ("Изпратено", "Дата"), ("До",), ("Тема",), ("Оригинално съобщение",),
                   ("Изпратено от моя", "Изпратено от"),
                   ("Автоматичен отговор",)),
    "tr": Language(("yazdı",), ("Kimden",), ("Gönderildi", "Gönderilme", "Tarih"), ("Kime",), ("Konu",),
                   ("Özgün ileti", "Orijinal mesaj"),
                   ("iPhone'umdan gönderildi", "iPhone'dan gönderildi", "Android için Outlook'u edinin"),
                   ("Otomatik yanıt", "Otomatik cevap", "Otomatik Yanıt")),
    "hu": Language(("írta", "ezt írta"), ("Feladó",), ("Elküldve", "Küldve", "Dátum"), ("Címzett",), ("Tárgy",),
                   ("Eredeti üzenet",), ("iPhone-ról küldve", "Az iPhone-omról küldve", "Android-ról küldve"),
                   ("Automatikus válasz",)),
    "ro": Language(("a scris",), ("De la", "De"), ("Trimis", "Data"), ("Către", "Catre"), ("Subiect",),
                   ("Mesaj original",), ("Trimis de pe iPhone-ul meu", "Trimis de pe", "Trimis din"),
                   ("Răspuns automat", "Raspuns automat")),
    "el": Language(("έγραψε",), ("Από",), ("Στάλθηκε", "Ημερομηνία"), ("Προς",), ("Θέμα",), ("Αρχικό μήνυμα",),
                   ("Στάλθηκε από το", "Εστάλη από"),
                   ("Αυτόματη απάντηση",)),
    "hr": Language(("napisao je", "napisala je", "je napisao", "je napisala", "napisao", "napisala"),
                   ("Šalje", "Od"), ("Poslano", "Datum"), ("Prima", "Za"), ("Predmet",), ("Izvorna poruka",),
                   ("Poslano s mog", "Poslano s", "Poslano sa"),
                   ("Automatski odgovor",)),
    "sl": Language(("je napisal(a)", "je napisala", "je napisal", "napisal(a)", "napisal", "napisala"), ("Od",),
                   ("Poslano", "Datum"), ("Za",),
                   ("Zadeva",), ("Izvirno sporočilo",), ("Poslano iz mojega", "Poslano iz", "Poslano z"),
                   ("Samodejni odgovor",)),
    "lt": Language(("rašė",), ("Nuo", "Siuntėjas"), ("Išsiųsta", "Data"), ("Kam", "Gavėjas"), ("Tema",),
                   ("Pradinis laiškas",), ("Išsiųsta iš mano", "Išsiųsta iš"),
                   ("Automatinis atsakymas",)),
    "lv": Language(("rakstīja",), ("No",), ("Nosūtīts", "Datums"), ("Kam",), ("Tēma",), ("Sākotnējais ziņojums",),
                   ("Nosūtīts no mana", "Nosūtīts no"),
                   ("Automātiskā atbilde",)),
    "ca": Language(("va escriure", "ha escrit"), ("De",), ("Enviat", "Data"), ("Per a",), ("Assumpte",),
                   ("Missatge original",), ("Enviat des del meu", "Enviat des de"),
                   ("Resposta automàtica",)),
    "ja": Language(("のメッセージ", "書きました", "書き込みました", "wrote"), ("差出人", "送信者"),
                   ("送信日時", "送信日", "日付"), ("宛先",), ("件名",), ("元のメッセージ", "元のメール"),
                   ("iPhoneから送信", "iPadから送信", "Androidから送信"),
                   ("自動応答", "自動返信")),
    "zh": Language(("写道", "寫道", "寫了", "写了"), ("发件人", "寄件者", "寄件人", "發件人"),
                   ("发送时间", "日期", "傳送時間", "寄件日期", "发送日期"), ("收件人", "收件者"),
                   ("主题", "主旨", "主題"),
                   ("原始邮件", "原始郵件", "原始信件"),
                   ("发自我的", "發自我的", "从我的", "從我的"),
                   ("自动回复", "自動回覆", "自動回復")),
    "ko": Language(("작성", "작성하였습니다", "님이 작성", "님이 씀", "쓴 글"), ("보낸 사람", "보낸사람"),
                   ("보낸 날짜", "날짜"), ("받는 사람", "받는사람"), ("제목",), ("원본 메시지", "원래 메시지"),
                   ("나의 iPhone에서 보냄",),
                   ("자동 회신", "자동회신", "자동 응답")),
    "he": Language(("כתב", "כתבה", "כתב/ה", "כתב(ה)"), ("מאת",), ("נשלח", "תאריך"), ("אל",), ("נושא",),
                   ("הודעה מקורית",),
                   ("נשלח מה-iPhone", "נשלח מה-iPad", "נשלח מ-iPhone", "נשלח מהטלפון", "נשלח מה-Android"),
                   ("תשובה אוטומטית",)),
    "ar": Language(("كتب", "كتبت", "كتب/كتبت"), ("من",), ("أرسل في", "تاريخ", "التاريخ", "تم الإرسال"),
                   ("إلى",), ("الموضوع",), ("الرسالة الأصلية",), ("أُرسلت من", "أرسلت من", "مرسل من"),
                   ("رد تلقائي", "رد آلي")),
    "fa": Language(("نوشت",), ("از",), ("ارسال شده", "تاریخ"), ("به",), ("موضوع",), ("پیام اصلی",),
                   ("ارسال شده از",),
                   ("پاسخ خودکار",)),
    "vi": Language(("đã viết", "viết"), ("Từ",), ("Đã gửi", "Ngày"), ("Đến", "Tới"), ("Chủ đề",),
                   ("Thư gốc",), ("Gửi từ iPhone của tôi", "Gửi từ"),
                   ("Trả lời tự động",)),
    "id": Language(("menulis",), ("Dari",), ("Dikirim", "Terkirim", "Tanggal"), ("Kepada",), ("Perihal", "Subjek"),
                   ("Pesan asli",), ("Dikirim dari", "Terkirim dari"),
                   ("Balasan otomatis", "Balas otomatis")),
    "th": Language(("เขียนว่า", "เขียน"), ("จาก",), ("ส่ง", "วันที่"), ("ถึง",), ("เรื่อง",), ("ข้อความต้นฉบับ",),
                   ("ส่งจาก",),
                   ("ตอบกลับอัตโนมัติ",)),
}


def _alternation(words: set[str]) -> str:
    # Longest first, so "napisał(a)" wins over "napisał".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _all(field: str) -> set[str]:
    return {w for lang in LANGUAGES.values() for w in getattr(lang, field)}


_COLON = r"\s*[:：]"
# Bidirectional marks Gmail wraps names and addresses in, in Hebrew and Arabic ("מאת \u202aDana\u202c\u200f").
_BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_RULE = r"(?:-{2,}|_{2,}|={2,})"
# Languages written without spaces between words need no boundary before the verb ("16:12写道：").
_UNSPACED = ("ja", "zh", "ko", "th")


class Patterns(NamedTuple):
    # An attribution line: a "wrote" verb, then (names, dates, an address in any order) a colon at
    # the end. Korean and Japanese put the verb last; Hungarian puts a "(időpont: …)" after it.
    attribution_verb: re.Pattern[str]
    # Gmail in Japanese (and many other clients) write no verb at all: "2026年12月1日(火) 10:00 Dana <d@x>:".
    address_attribution: re.Pattern[str]
    # Outlook's reply header block: a From line, then a Sent/To/Subject line close below.
    header_from: re.Pattern[str]
    header_following: re.Pattern[str]
    # "-----Original Message-----", "--- On Mon, … wrote: ---" and Outlook web's line of underscores.
    banner: re.Pattern[str]
    separator: re.Pattern[str]
    # A mobile signature is a short line on its own that starts with one of these; Japanese, Korean
    # and Turkish put the device first ("Galaxyから送信", "iPhone'umdan gönderildi").
    sent_from: re.Pattern[str]
    sent_from_suffix: re.Pattern[str]
    # "Automatische Antwort: …", "Out of Office: …" at the start of a subject.
    auto_subject: re.Pattern[str]


@cache
def patterns() -> Patterns:
    """Compiled on first use, not at import: the alternations of every language cost a few
    milliseconds to compile, which a cold start would otherwise pay before any mail is read."""
    spaced = {w for code, lang in LANGUAGES.items() if code not in _UNSPACED for w in lang.wrote}
    unspaced = {w for code in _UNSPACED for w in LANGUAGES[code].wrote}
    following = _all("header_sent") | _all("header_to") | _all("header_subject")
    return Patterns(
        attribution_verb=re.compile(
            rf"(?:^|[\s,)>\]\"'])(?:{_alternation(spaced)})(?:\W|$)|(?:{_alternation(unspaced)})", re.IGNORECASE),
        address_attribution=re.compile(r"\d.*<?[^\s<>@]+@[^\s<>@]+>?\)?\s*[:：]\s*$"),
        header_from=re.compile(rf"^\s*[*_]*(?:{_alternation(_all('header_from'))})[*_]*{_COLON}[*_]*\s*\S",
                               re.IGNORECASE),
        header_following=re.compile(rf"^\s*[*_]*(?:{_alternation(following)})[*_]*{_COLON}", re.IGNORECASE),
        banner=re.compile(rf"^\s*{_RULE}\s*(?:{_alternation(_all('banner'))})\s*{_RULE}?\s*$", re.IGNORECASE),
        separator=re.compile(r"^\s*(?:_{20,}|-{20,}|[\u2012-\u2015]{20,})\s*$"),
        # The device after the phrase is a few words, not a sentence ("Sent from my desk, is much easier …").
        sent_from=re.compile(rf"^\s*(?:--\s*)?(?:{_alternation(_all('sent_from'))})[^\n?,;]{{0,50}}$", re.IGNORECASE),
        sent_from_suffix=re.compile(r"^\s*[^\n]{1,30}?(?:から送信|에서 보냄|에서 보낸|'(?:u|ü)?m?dan gönderildi)\s*$"),
        auto_subject=re.compile(rf"^\s*(?:\[[^\]]*\]\s*)?\[?(?:{_alternation(_all('auto_reply'))})(?!\w)",
                                re.IGNORECASE),
    )


def bare(line: str) -> str:
    """The line without the invisible bidirectional marks, to match patterns against."""
    return line.translate(_BIDI)


def is_attribution(line: str) -> bool:
    """Does this line (or two lines a client wrapped, joined) introduce quoted earlier mail?"""
    stripped = bare(line).strip().lstrip(">").strip()
    if not stripped.endswith((":", "：")) or len(stripped) > 400:
        return False
    found = patterns()
    return bool(found.attribution_verb.search(stripped) or found.address_attribution.search(stripped))


def is_mobile_signature(line: str) -> bool:
    """A short line a phone or Outlook's app signs with ("Sent from my iPhone", "Lähetetty iPhonesta")."""
    if len(line.strip()) > 70 or len(line.split()) > 9:
        return False
    found = patterns()
    return found.sent_from.match(line) is not None or found.sent_from_suffix.match(line) is not None


def is_auto_reply_subject(subject: str) -> bool:
    """An out-of-office answer's subject ("Automatic reply: …", "Poissaoloviesti: …"), in any language."""
    return patterns().auto_subject.match(subject) is not None
