# syntax=docker/dockerfile:1
# The ferryd image: the auth service and/or proxy (and an in-process agent): API 3025, PostgreSQL/agent tunnels/API pass-through 3080, MySQL 3036, diag_addr 9090.
#
# FROM scratch: the one-file Native AOT binary, the C library and loader it needs, OpenSSL (loaded by the .NET
# runtime), the CA bundle and a non-root user; no shell, no package manager. scripts/image writes the same image as
# an OCI layout without a Docker engine or registry (and is what the tests check); this file is for building with
# BuildKit from the repository root after scripts/build (and scripts/build --arch arm64 for linux/arm64):
#
#   docker buildx build --platform linux/amd64,linux/arm64 -f deploy/ferryd.Dockerfile -t ferry/ferryd:0.1.0 .
#
# See docs/deployment-containers.md for volumes, ports and health checks.

# The runtime files of the target architecture (linux/arm64 runs this stage under emulation).
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && triplet=$(case "$(dpkg --print-architecture)" in amd64) echo x86_64-linux-gnu;; arm64) echo aarch64-linux-gnu;; esac) \
 && mkdir -p /out/usr/lib/$triplet /out/etc/ssl/certs /out/etc/ferry /out/var/lib/ferry /out/tmp /out/lib /out/lib64 \
 && for lib in libc.so.6 libm.so.6 libssl.so.3 libcrypto.so.3; do cp -L /usr/lib/$triplet/$lib /out/usr/lib/$triplet/; done \
 && for loader in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do [ ! -e $loader ] || cp -L $loader /out$loader; done \
 && cp -L /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && printf 'root:x:0:0:root:/root:/nonexistent\nferry:x:65532:65532:ferry:/var/lib/ferry:/nonexistent\n' > /out/etc/passwd \
 && printf 'root:x:0:\nferry:x:65532:\n' > /out/etc/group \
 && printf 'hosts: files dns\n' > /out/etc/nsswitch.conf \
 && chmod 1777 /out/tmp && chmod 0700 /out/var/lib/ferry && chown 65532:65532 /out/var/lib/ferry

# The binary scripts/build made for the target architecture: dist/ferryd (amd64) or dist/arm64/ferryd.
FROM scratch AS bin-amd64
COPY dist/ferryd /usr/local/bin/ferryd
FROM scratch AS bin-arm64
COPY dist/arm64/ferryd /usr/local/bin/ferryd
ARG TARGETARCH
FROM bin-${TARGETARCH} AS bin

FROM scratch
COPY --from=runtime /out/ /
COPY --from=bin /usr/local/bin/ferryd /usr/local/bin/ferryd
ENV PATH=/usr/local/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt SSL_CERT_DIR=/etc/ssl/certs
USER 65532:65532
WORKDIR /var/lib/ferry
VOLUME ["/var/lib/ferry"]
EXPOSE 3025/tcp 3080/tcp 3036/tcp 9090/tcp
# No shell and no HTTP client in the image, so no in-image HEALTHCHECK command: set diag_addr (e.g. 0.0.0.0:9090)
# and let the orchestrator probe GET /readyz (200 when ready, 503 with the reason) and /healthz (200 while alive),
# e.g. a Kubernetes readinessProbe/livenessProbe httpGet on port 9090. See docs/deployment-containers.md.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/ferryd"]
CMD ["--config", "/etc/ferry/ferry.yaml"]
