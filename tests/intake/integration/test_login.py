"""Login rate limit per username and client address."""

from __future__ import annotations

from tests.intake.integration.conftest import PASSWORD, Intake, Season


async def login(intake: Intake, username: str, password: str) -> int:
    response = await intake.client.post(
        "/api/login", json={"username": username, "password": password}
    )
    return response.status_code


async def test_five_failures_block_even_the_right_password(intake: Intake, season: Season):
    assert await login(intake, season.applicant_username, PASSWORD) == 200
    failures = [await login(intake, season.applicant_username, "wrong") for _ in range(5)]
    assert failures == [401] * 5
    response = await intake.client.post(
        "/api/login", json={"username": season.applicant_username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]


async def test_failures_of_one_user_leave_others_unaffected(intake: Intake, season: Season):
    for _ in range(6):
        await login(intake, "nobody-" + season.applicant_username, "wrong")
    assert await login(intake, season.applicant_username, PASSWORD) == 200
