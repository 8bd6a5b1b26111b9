"""统一社会信用代码 (GB 32100-2015): 18 characters, the last one a mod-31 check character."""

from __future__ import annotations

from services.intake.domain.errors import InvalidFieldError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z: they read like digits
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first_17: str) -> str:
    total = sum(
        CHARSET.index(char) * weight for char, weight in zip(first_17, WEIGHTS, strict=True)
    )
    return CHARSET[(31 - total % 31) % 31]


def normalized_credit_code(raw: str) -> str:
    """The code in upper case, or a refusal saying what is wrong with it."""
    code = raw.strip().upper()
    if len(code) != LENGTH:
        raise InvalidFieldError(
            f"统一社会信用代码：应为18位，您填写了{len(code)}位，请按营业执照上的代码填写。"
        )
    wrong = sorted({char for char in code if char not in CHARSET})
    if wrong:
        raise InvalidFieldError(
            f"统一社会信用代码：含有不允许的字符“{''.join(wrong)}”"
            "（代码不使用 I、O、S、V、Z），请核对营业执照。"
        )
    if check_character(code[:-1]) != code[-1]:
        raise InvalidFieldError(
            "统一社会信用代码：校验位不正确，代码可能有抄写错误，请逐位核对营业执照。"
        )
    return code
