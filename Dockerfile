# ivs-local: build a static binary, ship it alone.
#   docker build -t ivs-local .
#   docker run -p 4566:4566 ivs-local

FROM rust:1.95-alpine AS build
# make builds jemalloc, the binary's allocator (Cargo.toml).
RUN apk add --no-cache musl-dev make
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin ivs-local \
 && cp target/release/ivs-local /ivs-local

FROM scratch
COPY --from=build /ivs-local /ivs-local
ENV IVS_LOCAL_HOST=0.0.0.0 IVS_LOCAL_PORT=4566
EXPOSE 4566
# The image has no shell or curl: the binary checks itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/ivs-local", "healthcheck"]
ENTRYPOINT ["/ivs-local"]
