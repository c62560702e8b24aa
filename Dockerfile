# syntax=docker/dockerfile:1.7
# rivet as a container image: the compiled binary on an empty base with only what it needs to
# run (the glibc files it links, CA certificates, a non-root user). Multi-arch:
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg RIVET_COMMIT=$(git rev-parse --short HEAD) -t rivet .
# Every RUN executes on the build machine's own platform (the binary is cross-compiled), so an
# arm64 image builds on an amd64 machine without emulation. tests/release/container.test.ts
# assembles the final stage's files as listed here and runs the binary inside them. See
# docs/container.md.

ARG TARGETARCH

FROM --platform=$BUILDPLATFORM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts
COPY src ./src
COPY scripts/build.ts ./scripts/
ARG TARGETARCH
ARG RIVET_COMMIT=unknown
RUN case "$TARGETARCH" in \
      amd64) target=bun-linux-x64 ;; \
      arm64) target=bun-linux-arm64 ;; \
      *) echo "rivet images are built for amd64 and arm64, not $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && RIVET_COMMIT=$RIVET_COMMIT bun scripts/build.ts --target=$target --outfile /out/rivet

# The target platform's C runtime, copied from as the base image has it (no RUN: nothing is
# emulated for another architecture); none of its other files ship.
FROM debian:bookworm-slim AS runtime

# The CA bundle is the same on every architecture: made on the build machine's own.
FROM --platform=$BUILDPLATFORM debian:bookworm-slim AS certs
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# What the binary links (readelf -d: NEEDED, and its ELF interpreter), per architecture.
FROM scratch AS libs-amd64
COPY --from=runtime /lib64/ld-linux-x86-64.so.2 /lib64/
COPY --from=runtime /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 /lib/x86_64-linux-gnu/libpthread.so.0 /lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/

FROM scratch AS libs-arm64
COPY --from=runtime /lib/ld-linux-aarch64.so.1 /lib/
COPY --from=runtime /lib/aarch64-linux-gnu/libc.so.6 /lib/aarch64-linux-gnu/libm.so.6 /lib/aarch64-linux-gnu/libpthread.so.0 /lib/aarch64-linux-gnu/libdl.so.2 /lib/aarch64-linux-gnu/

FROM libs-${TARGETARCH}
# Bun trusts only its built-in roots unless SSL_CERT_FILE names a bundle; with it, a private CA
# is trusted by adding it to this file or mounting another bundle there (docs/container.md).
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY <<PASSWD /etc/passwd
root:x:0:0:root:/root:/sbin/nologin
rivet:x:65532:65532:rivet:/home/rivet:/sbin/nologin
PASSWD
COPY <<GROUP /etc/group
root:x:0:
rivet:x:65532:
GROUP
COPY --from=build /out/rivet /usr/local/bin/rivet
ENV PATH=/usr/local/bin
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["rivet"]
