# One image for service_1, service_2, the workers and the viewer; compose.yaml picks the command.
# Every dependency installs from a wheel: no compiler, one stage.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY svc1 svc1
COPY svc2 svc2
COPY webcore webcore
COPY celery_app celery_app
COPY alerts alerts
COPY logpipe logpipe
COPY logview logview
COPY envconfig envconfig
RUN python -m venv /opt/venv && /opt/venv/bin/pip install . && rm -rf /src
WORKDIR /app
# The declarative logging configuration every process loads (an operator may mount another over it).
COPY logging /app/logging
ENV LOG_CONFIG=/app/logging/logging.toml
RUN useradd --system --home /app app && mkdir -p logs error_reports && chown app logs error_reports
USER app
