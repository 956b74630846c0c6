# Outreach: the web app (gunicorn) and, with another command, the RQ worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OUTREACH_INSTANCE_PATH=/app/instance

WORKDIR /app

# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir outreach && touch outreach/__init__.py \
    && pip install . \
    && pip uninstall --yes outreach \
    && rm -rf outreach build *.egg-info

COPY outreach ./outreach
COPY migrations ./migrations
# Editable, so that the app finds migrations/ next to the package.
RUN pip install --no-deps -e . \
    && pybabel compile -d outreach/translations

RUN useradd --system --create-home --uid 10001 outreach \
    && mkdir -p /app/instance \
    && chown outreach /app/instance
USER outreach

EXPOSE 8000

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "outreach.wsgi:app"]
