# One image for every service: `docker run IMAGE services.<name> [migrate]`.
# Build: docker build -t mysetlist .

# --- generate the Python code from protos/ (grpcio-tools stays out of the final image)
FROM python:3.11-slim AS protos
WORKDIR /src
COPY requirements-dev.txt ./
RUN pip install --no-cache-dir "$(grep -E '^grpcio-tools==' requirements-dev.txt)"
COPY protos/ protos/
COPY third_party/ third_party/
COPY scripts/gen_protos.py scripts/
RUN python scripts/gen_protos.py

# --- runtime
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app:/app/gen
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY --from=protos /src/gen/ gen/
COPY shared/ shared/
COPY services/ services/
COPY scripts/healthcheck.py scripts/
# Bytecode compiled now, as root: the containers run read-only and as a non-root user.
RUN python -m compileall -q gen shared services scripts \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mysetlist
USER 10001:10001
EXPOSE 50051 50052 50053 50054 8080
ENTRYPOINT ["python", "-m"]
CMD ["services.catalog"]
