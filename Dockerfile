# syntax=docker/dockerfile:1
# Outreach: the web app (gunicorn) and, with another command, the RQ worker.
#
# The first stage builds the wheel from the checkout: the package with its page templates,
# static files and compiled translations, and the shipped letters and migrations inside it
# (see setup.py). The image installs that wheel, not editable, and nothing else from the
# checkout. `make smoke` does the same on the host and runs what docker-compose.yml starts.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OUTREACH_INSTANCE_PATH=/app/instance

COPY --from=build /dist /tmp/dist
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install /tmp/dist/outreach-*.whl \
    && rm -rf /tmp/dist

RUN useradd --system --create-home --uid 10001 outreach \
    && mkdir -p /app/instance \
    && chown outreach /app/instance
USER outreach
WORKDIR /app

EXPOSE 8000

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--graceful-timeout", "120", "--access-logfile", "-", "outreach.wsgi:app"]
