# syntax=docker/dockerfile:1
# One image for redis-hack-server (the default command runs every role in one
# process) and the CoWIN simulator (`cowin-sim`), built in two stages so the
# runtime image holds only the two binaries. docker-compose.yml runs it as the
# `api`, `poller` and `worker` services (`redis-hack-server api|poller|worker`)
# and, under the `demo` profile, as the `simulator`.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and compiled dependencies between builds; the
# binaries are copied out in the same step because the mounted target/ is not
# part of the image. --locked: build exactly what Cargo.lock says.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p redis-hack-server -p cowin-sim \
    && mkdir -p /out \
    && cp target/release/redis-hack-server target/release/cowin-sim /out/

FROM debian:bookworm-slim
# ca-certificates: the server may talk TLS to SMTP providers and the real
# CoWIN API. curl: the compose healthchecks (GET /readyz).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin redis-hack
COPY --from=build /out/redis-hack-server /out/cowin-sim /usr/local/bin/
USER redis-hack
# Inside a container the services must listen beyond loopback. Every server
# role serves /healthz, /readyz and /metrics on BIND_ADDR.
ENV BIND_ADDR=0.0.0.0:8080 \
    SIM_BIND_ADDR=0.0.0.0:8090
EXPOSE 8080 8090
# SIGTERM starts a graceful stop: no new work, SHUTDOWN_GRACE (25s) for
# in-flight deliveries. Give the container longer than that before a SIGKILL
# (docker stop -t 35; compose sets stop_grace_period: 35s).
STOPSIGNAL SIGTERM
CMD ["redis-hack-server"]
