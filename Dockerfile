# sockit in a distroless image: a health check or an init container without curl.
#   docker build -t sockit .
#   HEALTHCHECK CMD ["/sockit", "get", "--fail", "-q", "http://127.0.0.1:8080/health"]
FROM denoland/deno:bin-2.9.6 AS deno
FROM debian:bookworm-slim AS build
COPY --from=deno /deno /usr/local/bin/deno
WORKDIR /src
COPY . .
RUN deno task compile && cp "dist/$(deno eval 'console.log(Deno.build.target)')/sockit" /sockit

FROM gcr.io/distroless/cc-debian12
COPY --from=build /sockit /sockit
ENTRYPOINT ["/sockit"]
CMD ["--help"]
