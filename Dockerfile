# Multi-stage: build a wheel with the same `pip install` the README uses, run it as non-root.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --upgrade pip \
    && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 gutskin
COPY --from=build /venv /venv
WORKDIR /app
COPY tips ./tips
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TIPS_DIR=/app/tips \
    DATA_DIR=/data
RUN mkdir -p /data && chown gutskin /data
USER gutskin
VOLUME ["/data"]
ENTRYPOINT ["gutskin-bot"]
CMD ["run"]
