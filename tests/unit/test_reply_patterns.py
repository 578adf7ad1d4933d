"""Each language of `sideconv.email.reply_patterns`, with lines as its clients write them: the
attribution above a quote (Gmail, Apple Mail, Thunderbird, Outlook's web app), the reply header block
Outlook puts above an unmarked original, and the phone's signature."""

from __future__ import annotations

import pytest
from sideconv.email.reply_patterns import LANGUAGES, is_attribution, is_auto_reply_subject, is_mobile_signature
from sideconv.email.reply_text import new_text

# language: (attribution line, Outlook header block, mobile signature)
SAMPLES: dict[str, tuple[str, str, str]] = {
    "en": ("On Mon, Nov 30, 2026 at 4:12 PM Dana <d@x.example> wrote:",
           "From: Dana <d@x.example>\nSent: Monday, November 30, 2026 4:12 PM\nTo: Vera\nSubject: Part",
           "Sent from my iPhone"),
    "de": ("Am Mo., 30. Nov. 2026 um 16:12 Uhr schrieb Dana <d@x.example>:",
           "Von: Dana <d@x.example>\nGesendet: Montag, 30. November 2026 16:12\nAn: Vera\nBetreff: Teil",
           "Von meinem iPhone gesendet"),
    "fr": ("Le lun. 30 nov. 2026 à 16:12, Dana <d@x.example> a écrit :",
           "De : Dana <d@x.example>\nEnvoyé : lundi 30 novembre 2026 16:12\nÀ : Vera\nObjet : Pièce",
           "Envoyé de mon iPhone"),
    "es": ("El lun, 30 nov 2026 a las 16:12, Dana (<d@x.example>) escribió:",
           "De: Dana <d@x.example>\nEnviado: lunes, 30 de noviembre de 2026 16:12\nPara: Vera\nAsunto: Pieza",
           "Enviado desde mi iPhone"),
    "it": ("Il giorno lun 30 nov 2026 alle ore 16:12 Dana <d@x.example> ha scritto:",
           "Da: Dana <d@x.example>\nInviato: lunedì 30 novembre 2026 16:12\nA: Vera\nOggetto: Ricambio",
           "Inviato da iPhone"),
    "pt": ("Em seg., 30 de nov. de 2026 às 16:12, Dana <d@x.example> escreveu:",
           "De: Dana <d@x.example>\nEnviado: segunda-feira, 30 de novembro de 2026 16:12\nPara: Vera\nAssunto: Peça",
           "Enviado do meu iPhone"),
    "nl": ("Op ma 30 nov 2026 om 16:12 schreef Dana <d@x.example>:",
           "Van: Dana <d@x.example>\nVerzonden: maandag 30 november 2026 16:12\nAan: Vera\nOnderwerp: Onderdeel",
           "Verzonden vanaf mijn iPhone"),
    "sv": ("Den mån 30 nov. 2026 kl 16:12 skrev Dana <d@x.example>:",
           "Från: Dana <d@x.example>\nSkickat: den 30 november 2026 16:12\nTill: Vera\nÄmne: Reservdel",
           "Skickat från min iPhone"),
    "da": ("Den man. 30. nov. 2026 kl. 16.12 skrev Dana <d@x.example>:",
           "Fra: Dana <d@x.example>\nSendt: 30. november 2026 16:12\nTil: Vera\nEmne: Reservedel",
           "Sendt fra min iPhone"),
    "no": ("man. 30. nov. 2026 kl. 16:12 skrev Dana <d@x.example>:",
           "Fra: Dana <d@x.example>\nSendt: mandag 30. november 2026 16:12\nTil: Vera\nEmne: Reservedel",
           "Sendt fra min iPad"),
    "fi": ("ma 30.11.2026 klo 16.12 Dana (d@x.example) kirjoitti:",
           "Lähettäjä: Dana <d@x.example>\nLähetetty: maanantai 30. marraskuuta 2026 16.12\nVastaanottaja: Vera\n"
           "Aihe: Varaosa", "Lähetetty iPhonesta"),
    "et": ("E, 30. nov 2026 kell 16:12 Dana <d@x.example> kirjutas:",
           "Saatja: Dana <d@x.example>\nSaadetud: 30. november 2026 16:12\nAdressaat: Vera\nTeema: Varuosa",
           "Saadetud minu iPhone'ist"),
    "pl": ("pon., 30 lis 2026 o 16:12 Dana <d@x.example> napisał(a):",
           "Od: Dana <d@x.example>\nWysłano: poniedziałek, 30 listopada 2026 16:12\nDo: Vera\nTemat: Część",
           "Wysłane z iPhone'a"),
    "cs": ("po 30. 11. 2026 v 16:12 odesílatel Dana <d@x.example> napsal:",
           "Od: Dana <d@x.example>\nOdesláno: pondělí 30. listopadu 2026 16:12\nKomu: Vera\nPředmět: Díl",
           "Odesláno z iPhonu"),
    "sk": ("Dňa 30. 11. 2026 o 16:12 Dana <d@x.example> napísal(a):",
           "Od: Dana <d@x.example>\nOdoslané: pondelok 30. novembra 2026 16:12\nKomu: Vera\nPredmet: Diel",
           "Odoslané z iPhonu"),
    "ru": ("пн, 30 нояб. 2026 г. в 16:12, Dana <d@x.example> написал(а):",
           "От: Dana <d@x.example>\nОтправлено: 30 ноября 2026 г. 16:12\nКому: Vera\nТема: Деталь",
           "Отправлено с iPhone"),
    "uk": ("пн, 30 лист. 2026 р. о 16:12 Dana <d@x.example> пише:",
           "Від: Dana <d@x.example>\nНадіслано: 30 листопада 2026 р. 16:12\nКому: Vera\nТема: Деталь",
           "Надіслано з iPhone"),
    "bg": ("На пн, 30.11.2026 г. в 16:12 ч. Dana <d@x.example> написа:",
           "От: Dana <d@x.example>\nИзпратено: 30 ноември 2026 г. 16:12\nДо: Vera\nТема: Част",
           "Изпратено от моя iPhone"),
    "tr": ("Dana <d@x.example>, 30 Kas 2026 Pzt, 16:12 tarihinde şunu yazdı:",
           "Kimden: Dana <d@x.example>\nGönderildi: 30 Kasım 2026 Pazartesi 16:12\nKime: Vera\nKonu: Parça",
           "iPhone'umdan gönderildi"),
    "hu": ("Dana <d@x.example> ezt írta (időpont: 2026. nov. 30., H, 16:12):",
           "Feladó: Dana <d@x.example>\nElküldve: 2026. november 30. 16:12\nCímzett: Vera\nTárgy: Alkatrész",
           "iPhone-ról küldve"),
    "ro": ("Pe lun., 30 nov. 2026 la 16:12, Dana <d@x.example> a scris:",
           "De la: Dana <d@x.example>\nTrimis: luni, 30 noiembrie 2026 16:12\nCătre: Vera\nSubiect: Piesă",
           "Trimis de pe iPhone-ul meu"),
    "el": ("Στις Δευ 30 Νοε 2026 στις 4:12 μ.μ., ο/η Dana <d@x.example> έγραψε:",
           "Από: Dana <d@x.example>\nΣτάλθηκε: Δευτέρα, 30 Νοεμβρίου 2026 4:12 μμ\nΠρος: Vera\nΘέμα: Ανταλλακτικό",
           "Στάλθηκε από το iPhone μου"),
    "hr": ("pon, 30. stu 2026. u 16:12 Dana <d@x.example> je napisao:",
           "Šalje: Dana <d@x.example>\nPoslano: ponedjeljak, 30. studenoga 2026. 16:12\nPrima: Vera\nPredmet: Dio",
           "Poslano s mog iPhonea"),
    "sl": ("V pon., 30. nov. 2026 ob 16:12 je Dana <d@x.example> napisal(a):",
           "Od: Dana <d@x.example>\nPoslano: ponedeljek, 30. november 2026 16:12\nZa: Vera\nZadeva: Del",
           "Poslano iz mojega iPhona"),
    "lt": ("2026-11-30, pr, 16:12 Dana <d@x.example> rašė:",
           "Nuo: Dana <d@x.example>\nIšsiųsta: 2026 m. lapkričio 30 d. 16:12\nKam: Vera\nTema: Detalė",
           "Išsiųsta iš mano iPhone"),
    "lv": ("pirmd., 2026. g. 30. nov., plkst. 16:12 — lietotājs Dana (<d@x.example>) rakstīja:",
           "No: Dana <d@x.example>\nNosūtīts: pirmdiena, 2026. gada 30. novembris 16:12\nKam: Vera\nTēma: Detaļa",
           "Nosūtīts no mana iPhone"),
    "ca": ("El dl., 30 de nov. 2026, a les 16:12, Dana (<d@x.example>) va escriure:",
           "De: Dana <d@x.example>\nEnviat: dilluns, 30 de novembre de 2026 16:12\nPer a: Vera\nAssumpte: Peça",
           "Enviat des del meu iPhone"),
    "ja": ("2026年11月30日(月) 16:12 Dana <d@x.example>:",
           "差出人: Dana <d@x.example>\n送信日時: 2026年11月30日 16:12\n宛先: Vera\n件名: 部品",
           "iPhoneから送信"),
    "zh": ("Dana <d@x.example> 于2026年11月30日周一 16:12写道：",
           "发件人: Dana <d@x.example>\n发送时间: 2026年11月30日 16:12\n收件人: Vera\n主题: 零件",
           "发自我的iPhone"),
    "ko": ("2026년 11월 30일 (월) 오후 4:12, Dana <d@x.example>님이 작성:",
           "보낸 사람: Dana <d@x.example>\n보낸 날짜: 2026년 11월 30일 월요일 오후 4:12\n받는 사람: Vera\n제목: 부품",
           "나의 iPhone에서 보냄"),
    "he": ("בתאריך יום ב׳, 30 בנוב׳ 2026 ב-16:12 מאת Dana <d@x.example>:",
           "מאת: Dana <d@x.example>\nנשלח: יום שני 30 נובמבר 2026 16:12\nאל: Vera\nנושא: חלק",
           "נשלח מה-iPhone שלי"),
    "ar": ("في الاثنين، 30 نوفمبر 2026 في 4:12 م، كتب Dana <d@x.example>:",
           "من: Dana <d@x.example>\nأرسل في: الاثنين، 30 نوفمبر 2026 04:12 م\nإلى: Vera\nالموضوع: قطعة",
           "أُرسلت من الـ iPhone"),
    "fa": ("در تاریخ دوشنبه ۳۰ نوامبر ۲۰۲۶، ساعت 16:12 Dana <d@x.example> نوشت:",
           "از: Dana <d@x.example>\nارسال شده: دوشنبه 30 نوامبر 2026 16:12\nبه: Vera\nموضوع: قطعه",
           "ارسال شده از iPhone"),
    "vi": ("Vào Th 2, 30 thg 11, 2026 vào lúc 16:12 Dana <d@x.example> đã viết:",
           "Từ: Dana <d@x.example>\nĐã gửi: Thứ Hai, ngày 30 tháng 11 năm 2026 16:12\nĐến: Vera\nChủ đề: Linh kiện",
           "Gửi từ iPhone của tôi"),
    "id": ("Pada tanggal Sen, 30 Nov 2026 pukul 16.12 Dana <d@x.example> menulis:",
           "Dari: Dana <d@x.example>\nDikirim: Senin, 30 November 2026 16.12\nKepada: Vera\nPerihal: Suku cadang",
           "Dikirim dari iPhone saya"),
    "th": ("เมื่อ จ. 30 พ.ย. 2026 เวลา 16:12 Dana <d@x.example> เขียนว่า:",
           "จาก: Dana <d@x.example>\nส่ง: 30 พฤศจิกายน 2026 16:12\nถึง: Vera\nเรื่อง: อะไหล่",
           "ส่งจาก iPhone ของฉัน"),
}
NEW = "Thanks, it ships tomorrow."


def test_every_language_has_its_samples() -> None:
    assert set(SAMPLES) == set(LANGUAGES)
    assert len(LANGUAGES) >= 25


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_attribution_above_a_quote_goes_with_it(language: str) -> None:
    attribution, _, _ = SAMPLES[language]
    assert is_attribution(attribution)
    assert new_text(f"{NEW}\n\n{attribution}\n\n> the quoted original\n> second line\n") == NEW


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_attribution_gmail_wrapped_onto_two_lines(language: str) -> None:
    attribution, _, _ = SAMPLES[language]
    cut = attribution.index("<") + 1 if "<" in attribution else len(attribution) // 2
    wrapped = f"{attribution[:cut]}\n{attribution[cut:]}"
    assert new_text(f"{NEW}\n\n{wrapped}\n\n> the quoted original\n") == NEW


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_attribution_above_an_unmarked_original_ends_the_reply(language: str) -> None:
    attribution, _, _ = SAMPLES[language]
    assert new_text(f"{NEW}\n\n{attribution}\n\nThe quoted original, without quote marks.\n") == NEW


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_outlook_reply_header_block_ends_the_reply(language: str) -> None:
    _, header, _ = SAMPLES[language]
    assert new_text(f"{NEW}\n\n{header}\n\nThe original, as Outlook leaves it: no marks.\n") == NEW
    # The same block with Outlook's bold field names (HTML converted to text keeps the asterisks)
    starred = "\n".join(f"*{line.split(':', 1)[0]}:* {line.split(':', 1)[1]}" if ":" in line else line
                        for line in header.split("\n"))
    assert new_text(f"{NEW}\n\n{starred}\n\nOld.\n") == NEW


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_mobile_signature_at_the_end_goes(language: str) -> None:
    _, _, signature = SAMPLES[language]
    assert is_mobile_signature(signature)
    assert new_text(f"{NEW}\n\n{signature}\n") == NEW


@pytest.mark.parametrize("text", [
    "You asked:\n> question?\n\nYes, we do.",
    "Please send it to the address below:\n\nVera Vendor\nMain Street 1",
    "I was sent from my office to the warehouse today.\nMore tomorrow.",
    "Das Teil wurde gestern gesendet.\nGrüße",
])
def test_own_words_that_look_alike_stay(text: str) -> None:
    assert new_text(text).startswith(text.split("\n")[0])
    assert new_text(text).endswith(text.rstrip().split("\n")[-1]) or ">" in text


def test_attribution_wrapped_onto_three_lines() -> None:
    text = "Stranger\n\nOn Wed, Dec 9, Mister Example\n<mrmister@example.com>\nwrote:\n> Hey, Stranger,\n"
    assert new_text(text) == "Stranger"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_out_of_office_subject_in_every_language(language: str) -> None:
    words = LANGUAGES[language].auto_reply
    assert words
    for word in words:
        assert is_auto_reply_subject(f"{word}: Part 42")
        assert is_auto_reply_subject(f"[Ticket 7] {word.upper()} : Part 42")
        assert not is_auto_reply_subject(f"Re: {word}: Part 42")  # a person answering one


def test_subjects_that_only_start_alike_are_no_auto_reply() -> None:
    assert not is_auto_reply_subject("Automatically generated invoices")
    assert not is_auto_reply_subject("Outlook settings")


def test_attribution_wrapped_in_bidirectional_marks() -> None:
    # Gmail in Hebrew wraps the name and address in embedding marks, and the line ends with one.
    attribution = ("\u202bבתאריך יום ג׳, 1 בדצמ׳ 2026 ב-10:00 מאת \u202aDana\u202c\u200f <\n"
                   "\u202ad@x.example\u202c\u200f>:\u202c")
    assert new_text(f"{NEW}\n\n{attribution}\n\n> the quoted original\n") == NEW


def test_original_run_on_after_its_attribution_ends_the_reply() -> None:
    # Yahoo's plain part: "… wrote:" and the original's first line on one line, no quote marks.
    text = f"{NEW}\n\n  On Tue, Dec 1, 2026 at 10:00, Dana<d@x.example> wrote:   Hi,\n   the original\n"
    assert new_text(text) == NEW
    # Own words with a colon and two spaces, but naming no date or address, stay.
    own = f"{NEW}\nAs you wrote:  the part is late.\nWe agree."
    assert new_text(own) == own


def test_answers_between_quoted_lines_stay_paragraphs() -> None:
    text = "On Tue, Dec 1, 2026, Dana <d@x.example> wrote:\n> First?\n\nYes.\n\n> Second?\n\nNo.\n"
    assert new_text(text) == "Yes.\n\nNo."
