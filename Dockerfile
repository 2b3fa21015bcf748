# One image for service_1, service_2, the workers and the viewer; compose.yaml picks the command.
# The build stage has a C compiler for the compiled detector (python -m alerts build); the image does not.
FROM python:3.11 AS build
ENV PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY svc1 svc1
COPY svc2 svc2
COPY webcore webcore
COPY celery_app celery_app
COPY alerts alerts
COPY logpipe logpipe
COPY logview logview
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install ".[native]" \
    && /opt/venv/bin/python -m alerts build \
    && /opt/venv/bin/python -m alerts engine

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
RUN useradd --system --home /app app && mkdir -p logs error_reports && chown app logs error_reports
USER app
