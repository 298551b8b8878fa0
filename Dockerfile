# One image for every ОЗСП service; the command picks the service (see docker-compose.yml).
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

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
COPY --from=assets /app/node_modules ./node_modules
# Editable: templates, static files, migrations and contracts stay beside the code in /app.
RUN pip install --no-cache-dir -e . && useradd --system --home /app ozsp && mkdir -p /app/var && chown ozsp /app/var
USER ozsp
CMD ["ozsp", "up"]
