# The leaders' team bot. Build: docker build -t leaders-bot .
# Two stages: dependencies and code are installed with uv from uv.lock in `build`; `run` gets
# only the virtual environment and the code, no uv, no compilers, and runs as a non-root user.
# The Python version is the one CI tests on (pyproject: requires-python, mypy python_version;
# tests/unit/test_container.py checks they agree).

FROM python:3.11-slim AS build

COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

ENV PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

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
    && /app/.venv/bin/python -m compileall -q bot handlers models


FROM python:3.11-slim AS run

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/app/.venv/bin:$PATH"

RUN groupadd --gid 10001 bot \
    && useradd --uid 10001 --gid 10001 --create-home --no-log-init bot
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /app/data && chown 10001:10001 /app/data

USER 10001:10001
VOLUME ["/app/data"]

# Smoke test of the installed console script (fails the build if it cannot start).
RUN leaders-bot --help > /dev/null

# Healthy = the bot polled Telegram or handled an update in the last two minutes; with
# --webhook a job also beats every 30 s while the bot runs. Exit 1 otherwise.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["leaders-bot", "health", "--max-age", "120"]

CMD ["leaders-bot", "run"]
