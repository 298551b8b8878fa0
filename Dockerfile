# One image for every ОЗСП service; the command picks the service (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# GOST provider for OpenSSL: fast Streebog hashing for signature checks (pure Python works, slower).
RUN apt-get update && apt-get install -y --no-install-recommends libengine-gost-openssl \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml alembic.ini ./
COPY services ./services
COPY shared ./shared
COPY contracts ./contracts
RUN pip install --no-cache-dir . && useradd --system --home /app ozsp
USER ozsp
CMD ["ozsp", "up"]
