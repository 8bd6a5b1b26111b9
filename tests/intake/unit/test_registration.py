from services.intake.domain.registration import (
    group_registration_number,
    registration_prefix,
    topic_registration_number,
)


def test_group_registration_number_format():
    assert group_registration_number("XZ", 2023, 1) == "XZ-2023-0001"


def test_topic_registration_number_has_its_own_series_mark():
    assert topic_registration_number("XZ", 2023, 12) == "XZ-2023-T0012"


def test_registration_prefix_falls_back_to_the_unit_id():
    assert registration_prefix(None, "xizang") == "XIZANG"
    assert registration_prefix("XZ", "xizang") == "XZ"
