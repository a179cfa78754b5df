# The link image: one static binary, nothing else. Build it with `make image`
# (the binary is built outside Docker: no base image is pulled, no registry
# is needed). No time zone data (logs are UTC; time/tzdata would add 0.4 MB)
# and no CA certificates: hops speak plain HTTP on the project network.
FROM scratch
LABEL org.opencontainers.image.title="chainctl link" \
      org.opencontainers.image.description="Demo service of chainctl chains: calls the next service and reports the path" \
      org.opencontainers.image.source="https://github.com/chainctl/chainctl"
COPY bin/link /link
USER 65534:65534
EXPOSE 8080
HEALTHCHECK --interval=2s --timeout=1s --start-period=10s --retries=3 CMD ["/link", "-health"]
ENTRYPOINT ["/link"]
