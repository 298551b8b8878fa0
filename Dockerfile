# One image for every ОЗСП service; the command picks the service (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml alembic.ini ./
COPY services ./services
COPY shared ./shared
COPY contracts ./contracts
RUN pip install --no-cache-dir . && useradd --system --home /app ozsp
USER ozsp
CMD ["ozsp", "up"]
