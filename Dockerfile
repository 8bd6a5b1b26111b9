# syntax=docker/dockerfile:1
# One image for all four services: `qcflow serve <service>` / `qcflow migrate <service>`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QCFLOW_DATA_DIR=/var/lib/qcflow

# WeasyPrint needs Pango; libharfbuzz-subset0 lets it subset fonts natively (a CJK render takes
# 0.25 s instead of 2.2 s); fonts-wqy-zenhei has the Chinese glyphs, DejaVu the ☐/☑ boxes.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-wqy-zenhei fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 qcflow \
    && useradd --system --uid 10001 --gid qcflow --home-dir /home/qcflow --create-home \
        --shell /usr/sbin/nologin qcflow \
    && install -d -o qcflow -g qcflow /var/lib/qcflow

WORKDIR /src
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir ".[render]"

USER qcflow
WORKDIR /var/lib/qcflow

ENTRYPOINT ["qcflow"]
CMD ["serve", "intake"]
