# One image for service_1, service_2, the workers and the viewer; compose.yaml picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY svc1 svc1
COPY svc2 svc2
COPY webcore webcore
COPY celery_app celery_app
COPY alerts alerts
COPY logpipe logpipe
COPY logview logview
RUN pip install . && useradd --system --home /app app && mkdir -p logs error_reports && chown app logs error_reports
USER app
