"""Numbers as titles write them: digits, English words to 999 (forty-five, one hundred and twenty), Chinese numerals
to 九百九十九 (十五, 一百二十, 两百, 一百零五).

Read only when written the standard way: a numeral with a doubt (一百二 is 120 only by habit, 百 alone, 十十)
reads as no number, and so the title that holds it is not checked.
"""

from __future__ import annotations

import re

EN_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
"""English number words the titles write, one to twelve (past twelve they write digits)."""
_EN_TEENS = ("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_UNITS = "|".join(EN_WORDS[:9])
# Longest first within each alternation, so "seventeen" is not read as "seven" and a tail.
_EN_BELOW_100 = (rf"(?:(?:{'|'.join(_EN_TENS)})(?:[- ](?:{_EN_UNITS})\b)?|{'|'.join(_EN_TEENS)}|ten|eleven|twelve|"
                 rf"{_EN_UNITS})")
EN_WORD_NUM = rf"(?:(?:{_EN_UNITS}|a)\s+hundred(?:\s+(?:and\s+)?{_EN_BELOW_100})?|{_EN_BELOW_100})(?!\w)"
"""A number in English words from one to 999, as a regular expression."""
EN_NUM = rf"\d+(?:\.\d+)?|{EN_WORD_NUM}"
"""A count in digits or English words, as a regular expression."""
ZH_WORD_NUM = r"(?<![一二两三四五六七八九十百千万亿零])[一二两三四五六七八九十百零]+"
"""A number in Chinese numerals, as a regular expression; never the tail of a larger numeral (一千二十)."""
ZH_NUM = rf"\d+(?:\.\d+)?|{ZH_WORD_NUM}"
"""A count in digits or Chinese numerals, as a regular expression."""
ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_WHOLE = re.compile(r"(?:(?P<h>[一二两三四五六七八九])百(?:零(?P<o>[一二三四五六七八九])|"
                       r"(?P<t>[一二三四五六七八九])十(?P<u>[一二三四五六七八九])?)?|"
                       r"(?P<t2>[二三四五六七八九])?十(?P<u2>[一二三四五六七八九])?|(?P<d>[一二两三四五六七八九]))")
_EN_VALUES = {word: i for i, word in enumerate((*EN_WORDS, *_EN_TEENS), 1)} | {
    word: 10 * i for i, word in enumerate(_EN_TENS, 2)} | {"a": 1}


def read_number(text: str) -> float | None:
    """A count in digits, English words or Chinese numerals to 999; None when it is none of those."""
    try:
        return float(text)
    except ValueError:
        pass
    if re.fullmatch(EN_WORD_NUM, text, re.I):
        return float(_en_value(text.lower()))
    return _zh_value(text)


def _en_value(text: str) -> int:
    """The value of English number words the grammar above accepts: hundreds, then tens and units."""
    total = 0
    for word in re.split(r"[\s-]+", text):
        if word == "hundred":
            total *= 100
        elif word != "and":
            total += _EN_VALUES[word]
    return total


def _zh_value(text: str) -> float | None:
    """The value of a Chinese numeral written the standard way, else None (一百二, 十十, 二十两)."""
    match = _ZH_WHOLE.fullmatch(text)
    if match is None:
        return None
    if match["d"]:
        return float(ZH_DIGITS[match["d"]])
    if match["h"]:
        tens = ZH_DIGITS[match["t"]] * 10 + ZH_DIGITS.get(match["u"] or "", 0) if match["t"] else 0
        return float(ZH_DIGITS[match["h"]] * 100 + (ZH_DIGITS[match["o"]] if match["o"] else tens))
    return float(ZH_DIGITS.get(match["t2"] or "", 1) * 10 + ZH_DIGITS.get(match["u2"] or "", 0))


def en_words(n: int) -> str:
    """`n` as the titles write it in English: a word up to twelve, else digits."""
    return EN_WORDS[n - 1] if 1 <= n <= len(EN_WORDS) else str(n)


def en_spelled(n: int) -> str:
    """`n` in English words to 999 (forty-five, one hundred and twenty), for a title that spells its number; digits
    past that."""
    if not 1 <= n <= 999:
        return str(n)
    hundreds, rest = divmod(n, 100)
    names = {v: k for k, v in _EN_VALUES.items() if k != "a"}
    tens, ones = divmod(rest, 10)
    below = names.get(rest) or (f"{names[tens * 10]}-{names[ones]}" if rest else "")
    if not hundreds:
        return below
    return f"{names[hundreds]} hundred" + (f" and {below}" if below else "")


def zh_numeral(n: int) -> str:
    """`n` as the titles write it in Chinese, before 个月: 两, 三, 十二, 十八; digits past 九十九."""
    if not 1 <= n <= 99:
        return str(n)
    if n == 2:
        return "两"
    names = {v: k for k, v in ZH_DIGITS.items() if k != "两"}
    tens, ones = divmod(n, 10)
    if not tens:
        return names[ones]
    return (names[tens] if tens > 1 else "") + "十" + (names[ones] if ones else "")
