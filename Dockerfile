# One image for the server and the CoWIN simulator, built in two stages so the
# runtime image holds only the binaries.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p redis-hack-server -p cowin-sim

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home redis-hack
COPY --from=build /src/target/release/redis-hack-server /src/target/release/cowin-sim /usr/local/bin/
USER redis-hack
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080
CMD ["redis-hack-server"]
