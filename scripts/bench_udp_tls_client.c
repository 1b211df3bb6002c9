// The load generator for the UDP and TLS echo benches (scripts/bench_udp.ts, bench_tls.ts):
// fast enough that the servers, not the client, set the pace. Built with the machine's cc;
// the TLS mode needs OpenSSL's headers (Debian libssl-dev).
//
//   bench_udp_tls_client udp HOST PORT INFLIGHT SIZE SECONDS
//     One UDP socket keeps INFLIGHT datagrams of SIZE bytes in flight, each carrying its
//     sequence number; every echo is checked byte for byte and answered by the next datagram.
//     A datagram not echoed within 20 ms counts as lost and is replaced, so that a drop cannot
//     shrink the window. Prints {"datagrams":N,"lost":N,"seconds":S,"per_s":R,"p50_us":A,
//     "p99_us":B,"ok":true}.
//
//   bench_udp_tls_client tls HOST PORT BYTES
//     One TLS connection (no certificate check: the bench measures the servers' throughput).
//     Writes BYTES of a fixed pseudo-random pattern, sends close_notify, and checks every byte
//     of the echo as it arrives, from one non-blocking loop. Prints {"bytes":N,"seconds":S,
//     "mb_per_s":R,"ok":true}.
//
// Exits 1 on any socket or TLS error or a verification failure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifndef NO_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define PATTERN_LEN (256 * 1024)
static unsigned char pattern[PATTERN_LEN];

static void fail(const char *what) {
  fprintf(stderr, "bench_udp_tls_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void address(const char *host, int port, struct sockaddr_in *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(port);
  if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) fail("inet_pton");
}

#define MAX_INFLIGHT 1024

static int udp(const char *host, int port, int inflight, size_t size, double seconds) {
  if (inflight < 1 || inflight > MAX_INFLIGHT || size < 8 || size > 65507) {
    fprintf(stderr, "bench_udp_tls_client: INFLIGHT 1-%d, SIZE 8-65507\n", MAX_INFLIGHT);
    return 2;
  }
  struct sockaddr_in addr;
  address(host, port, &addr);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("connect");
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  size_t cap = 20 * 1000 * 1000, count = 0;
  double *lat = malloc(cap * sizeof(double));
  // Slot i holds the datagram in flight whose sequence number is seq[i].
  uint64_t seq[MAX_INFLIGHT];
  double sent_at[MAX_INFLIGHT];
  unsigned char *msg = malloc(size), *back = malloc(65536);
  if (!lat || !msg || !back) fail("malloc");
  uint64_t next = 0, lost = 0;
  double start = now(), end = start + seconds;
  for (int i = 0; i < inflight; i++) {
    seq[i] = next++;
    memcpy(msg, &seq[i], 8);
    memcpy(msg + 8, pattern + 8, size - 8);
    sent_at[i] = now();
    if (send(fd, msg, size, 0) < 0) fail("send");
  }
  struct pollfd p = {.fd = fd, .events = POLLIN};
  double t = start;
  while (t < end) {
    int ready = poll(&p, 1, 5);
    t = now();
    if (ready < 0) { if (errno == EINTR) continue; fail("poll"); }
    if (ready > 0) {
      ssize_t r = recv(fd, back, 65536, MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        fail("recv");
      }
      uint64_t s;
      if ((size_t)r != size) { fprintf(stderr, "bench_udp_tls_client: echo of %zd bytes, sent %zu\n", r, size); return 1; }
      memcpy(&s, back, 8);
      if (memcmp(back + 8, pattern + 8, size - 8) != 0) { fprintf(stderr, "bench_udp_tls_client: echo differs\n"); return 1; }
      int slot = (int)(s % (uint64_t)inflight);
      if (seq[slot] != s) continue;  // late, after its slot was given to a replacement
      if (count < cap) lat[count++] = t - sent_at[slot];
      seq[slot] = s + (uint64_t)inflight;
      next++;
      memcpy(msg, &seq[slot], 8);
      sent_at[slot] = now();
      if (send(fd, msg, size, 0) < 0 && errno != ECONNREFUSED) fail("send");
    }
    for (int i = 0; i < inflight; i++) {  // replace what is lost
      if (t - sent_at[i] > 0.020) {
        lost++;
        seq[i] += (uint64_t)inflight;
        memcpy(msg, &seq[i], 8);
        sent_at[i] = now();
        if (send(fd, msg, size, 0) < 0 && errno != ECONNREFUSED) fail("send");
      }
    }
  }
  double secs = now() - start;
  qsort(lat, count, sizeof(double), cmp_double);
  double p50 = count ? lat[(size_t)(count * 0.50)] : 0, p99 = count ? lat[(size_t)(count * 0.99)] : 0;
  printf("{\"datagrams\":%zu,\"lost\":%llu,\"seconds\":%.4f,\"per_s\":%.1f,\"p50_us\":%.1f,"
         "\"p99_us\":%.1f,\"ok\":true}\n",
         count, (unsigned long long)lost, secs, count / secs, p50 * 1e6, p99 * 1e6);
  return 0;
}

#ifndef NO_TLS
static void tls_fail(const char *what) {
  fprintf(stderr, "bench_udp_tls_client: %s: ", what);
  ERR_print_errors_fp(stderr);
  fprintf(stderr, "\n");
  exit(1);
}

static int tls(const char *host, int port, uint64_t total) {
  static unsigned char buf[4 * PATTERN_LEN];
  struct sockaddr_in addr;
  address(host, port, &addr);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) tls_fail("SSL_CTX_new");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  double start = now();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "localhost");
  if (SSL_connect(ssl) != 1) tls_fail("handshake");
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  uint64_t sent = 0, got = 0;
  int shut = 0, eof = 0;
  while (!eof) {
    int progress = 0;
    if (sent < total) {
      size_t at = (size_t)(sent % PATTERN_LEN), n = PATTERN_LEN - at;
      if (n > 64 * 1024) n = 64 * 1024;
      if (n > total - sent) n = (size_t)(total - sent);
      int w = SSL_write(ssl, pattern + at, (int)n);
      if (w > 0) { sent += (uint64_t)w; progress = 1; }
      else {
        int e = SSL_get_error(ssl, w);
        if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) tls_fail("SSL_write");
      }
    } else if (!shut) {
      int s = SSL_shutdown(ssl);  // close_notify: the TLS half-close
      if (s >= 0) { shut = 1; progress = 1; }
      else {
        int e = SSL_get_error(ssl, s);
        if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) tls_fail("SSL_shutdown");
      }
    }
    for (;;) {
      int r = SSL_read(ssl, buf, sizeof buf);
      if (r <= 0) {
        int e = SSL_get_error(ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN) { eof = 1; break; }
        if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) { eof = 1; break; }  // bare FIN
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        tls_fail("SSL_read");
      }
      progress = 1;
      size_t off = 0;
      while (off < (size_t)r) {
        size_t at = (got + off) % PATTERN_LEN, n = PATTERN_LEN - at;
        if (n > (size_t)r - off) n = (size_t)r - off;
        if (memcmp(buf + off, pattern + at, n) != 0) {
          fprintf(stderr, "bench_udp_tls_client: echo differs near byte %llu\n",
                  (unsigned long long)(got + off));
          return 1;
        }
        off += n;
      }
      got += (uint64_t)r;
    }
    if (!progress && !eof) {
      struct pollfd p = {.fd = fd, .events = POLLIN | (sent < total || !shut ? POLLOUT : 0)};
      if (poll(&p, 1, 1000) < 0 && errno != EINTR) fail("poll");
    }
  }
  double secs = now() - start;
  SSL_free(ssl);
  close(fd);
  SSL_CTX_free(ctx);
  if (got != total) {
    fprintf(stderr, "bench_udp_tls_client: sent %llu bytes, got %llu back\n",
            (unsigned long long)total, (unsigned long long)got);
    return 1;
  }
  printf("{\"bytes\":%llu,\"seconds\":%.4f,\"mb_per_s\":%.1f,\"ok\":true}\n",
         (unsigned long long)total, secs, total / secs / 1e6);
  return 0;
}
#endif

int main(int argc, char **argv) {
  uint32_t x = 0x9e3779b9;  // xorshift32: the same pattern every run
  for (size_t i = 0; i < PATTERN_LEN; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    pattern[i] = (unsigned char)x;
  }
  if (argc == 7 && strcmp(argv[1], "udp") == 0) {
    return udp(argv[2], atoi(argv[3]), atoi(argv[4]), (size_t)atoi(argv[5]), atof(argv[6]));
  }
#ifndef NO_TLS
  if (argc == 5 && strcmp(argv[1], "tls") == 0) {
    return tls(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
  }
#endif
  fprintf(stderr,
          "usage: bench_udp_tls_client udp HOST PORT INFLIGHT SIZE SECONDS | tls HOST PORT BYTES\n");
  return 2;
}
