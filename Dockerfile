# One image for both roles: the api and worker services of docker-compose.yml run different commands.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 TF_CPP_MIN_LOG_LEVEL=2
WORKDIR /app

COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY service ./service
COPY workers ./workers
COPY store ./store
COPY core ./core
COPY scripts ./scripts
RUN pip install --upgrade pip && pip install .

COPY examples ./examples
COPY data ./data

RUN useradd --create-home --uid 1000 app && mkdir -p /var/lib/app && chown app /var/lib/app
USER app
ENV VAR_DIR=/var/lib/app DATA_ROOT=/app/data
EXPOSE 8000
CMD ["uvicorn", "service.main:app", "--host", "0.0.0.0", "--port", "8000"]
