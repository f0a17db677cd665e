# The leaders' team bot. Build: docker build -t leaders-bot .
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv
WORKDIR /app

# Dependencies first (from the lock), so code changes don't reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project

COPY alembic.ini ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY locales ./locales
RUN uv sync --locked --no-dev \
    && /app/.venv/bin/python -m bot.i18n_tools compile \
    && /app/.venv/bin/python -m compileall -q bot handlers models \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]
ENV PATH="/app/.venv/bin:$PATH"

# Healthy = the bot completed a getUpdates long poll in the last two minutes.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["leaders-bot", "health", "--max-age", "120"]

CMD ["leaders-bot", "run"]
