# Multi-stage: build with the same locked `pip install` the README uses, run it as non-root.
FROM python:3.11-slim AS build
WORKDIR /src
# The pinned, hashed dependencies first (scripts/lock writes them from pyproject.toml): this
# layer is rebuilt only when the lock changes, not on every code change.
COPY requirements.lock ./
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --upgrade pip \
    && /venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
# The project itself (its dependencies are all in the lock), then what the running bot never
# uses: pip and setuptools in the venv, the libraries' own test suites, byte-code caches
# (Python writes them again at start-up where it can).
RUN /venv/bin/pip install --no-cache-dir --no-deps . \
    && /venv/bin/pip uninstall --yes pip setuptools wheel \
    && find /venv -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} + \
    && rm -rf /root/.cache

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 gutskin
COPY --from=build /venv /venv
WORKDIR /app
# The shipped content; mount the clinic's own copy over /app/tips (read-only is enough).
COPY tips ./tips
# Listen on every interface inside the container: Docker's network is the boundary.
# HEALTH_PORT serves /healthz and /metrics; WEBHOOK_PORT is used with UPDATES=webhook only.
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TIPS_DIR=/app/tips \
    DATA_DIR=/data \
    HEALTH_HOST=0.0.0.0 \
    HEALTH_PORT=8080 \
    WEBHOOK_LISTEN=0.0.0.0 \
    WEBHOOK_PORT=8443
RUN mkdir -p /data && chown gutskin /data
USER gutskin
VOLUME ["/data"]
EXPOSE 8080 8443
# No curl in slim images: Python's urllib fails (exit 1) on a 503 or a refused connection.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', '8080'), timeout=4)"]
# SIGTERM (docker stop) stops gracefully within 10 s: updates stop, in-flight sends finish.
ENTRYPOINT ["gutskin-bot"]
CMD ["run"]
