// sockit's load generator for `deno task bench`: fast enough that the servers, not the client,
// set the pace. Built by scripts/bench.ts with the machine's cc.
//
//   bench_client stream HOST PORT BYTES
//     One connection. A sender thread writes BYTES of a fixed pseudo-random pattern, then
//     shuts down its write side; the receiver checks every byte with memcmp as it arrives.
//     Prints {"bytes":N,"seconds":S,"mb_per_s":R,"ok":true}.
//
//   bench_client rtt HOST PORT CLIENTS MSGSIZE SECONDS
//     CLIENTS connections driven from one epoll loop; each writes MSGSIZE bytes, waits for all
//     of them to come back, checks them, and goes again, for SECONDS.
//     Prints {"round_trips":N,"seconds":S,"rtt_per_s":R,"p50_us":A,"p99_us":B,"ok":true}.
//
//   bench_client serve
//     A plain C echo server on 127.0.0.1 and a free port (printed first), a thread per
//     connection and one 256 KiB buffer each: the ceiling of what any server can do here.
//
// Exits 1 on any connection error or verification failure.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATTERN_LEN (256 * 1024)
static unsigned char pattern[PATTERN_LEN];

static void fail(const char *what) {
  fprintf(stderr, "bench_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(const char *host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) fail("inet_pton");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

struct sender { int fd; int memfd; uint64_t total; };

// The sender costs the client's core as little as possible: sendfile() from a memfd holding the
// pattern twice lets the kernel take pages by reference instead of copying them from userspace.
static void *send_all(void *arg) {
  struct sender *s = arg;
  uint64_t sent = 0;
  while (sent < s->total) {
    off_t at = (off_t)(sent % PATTERN_LEN);
    size_t n = PATTERN_LEN;
    if (n > s->total - sent) n = s->total - sent;
    ssize_t w = sendfile(s->fd, s->memfd, &at, n);
    if (w < 0) { if (errno == EINTR) continue; fail("sendfile"); }
    sent += (uint64_t)w;
  }
  if (shutdown(s->fd, SHUT_WR) < 0) fail("shutdown");
  return NULL;
}

static int pattern_memfd(void) {
  int fd = memfd_create("bench-pattern", 0);
  if (fd < 0) fail("memfd_create");
  for (int i = 0; i < 2; i++) {
    size_t off = 0;
    while (off < PATTERN_LEN) {
      ssize_t w = write(fd, pattern + off, PATTERN_LEN - off);
      if (w < 0) fail("write memfd");
      off += (size_t)w;
    }
  }
  return fd;
}

static int stream(const char *host, int port, uint64_t total) {
  static unsigned char buf[4 * PATTERN_LEN];
  int memfd = pattern_memfd();
  double start = now();
  int fd = dial(host, port);
  struct sender s = {fd, memfd, total};
  pthread_t thread;
  if (pthread_create(&thread, NULL, send_all, &s) != 0) fail("pthread_create");
  uint64_t got = 0;
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) { if (errno == EINTR) continue; fail("read"); }
    if (r == 0) break;
    size_t off = 0;
    while (off < (size_t)r) {  // compare in at most two pieces around the pattern's end
      size_t at = (got + off) % PATTERN_LEN;
      size_t n = PATTERN_LEN - at;
      if (n > (size_t)r - off) n = (size_t)r - off;
      if (memcmp(buf + off, pattern + at, n) != 0) {
        fprintf(stderr, "bench_client: echo differs near byte %llu\n", (unsigned long long)(got + off));
        return 1;
      }
      off += n;
    }
    got += (uint64_t)r;
  }
  pthread_join(thread, NULL);
  close(fd);
  double secs = now() - start;
  if (got != total) {
    fprintf(stderr, "bench_client: sent %llu bytes, got %llu back\n", (unsigned long long)total,
            (unsigned long long)got);
    return 1;
  }
  printf("{\"bytes\":%llu,\"seconds\":%.4f,\"mb_per_s\":%.1f,\"ok\":true}\n",
         (unsigned long long)total, secs, total / secs / 1e6);
  return 0;
}

struct conn { int fd; size_t sent, got; double started; unsigned char *msg, *back; };

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int rtt(const char *host, int port, int clients, size_t size, double seconds) {
  size_t cap = 50 * 1000 * 1000, count = 0;
  double *lat = malloc(cap * sizeof(double));
  struct conn *conns = calloc(clients, sizeof *conns);
  int ep = epoll_create1(0);
  if (!lat || !conns || ep < 0) fail("setup");
  for (int i = 0; i < clients; i++) {
    struct conn *c = &conns[i];
    c->fd = dial(host, port);
    c->msg = malloc(size);
    c->back = malloc(size);
    for (size_t j = 0; j < size; j++) c->msg[j] = pattern[(i * 131 + j) % PATTERN_LEN];
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl");
  }
  double start = now(), end = start + seconds;
  for (int i = 0; i < clients; i++) {  // messages are small: one write each
    conns[i].started = now();
    if (write(conns[i].fd, conns[i].msg, size) != (ssize_t)size) fail("write");
  }
  struct epoll_event events[256];
  int active = clients;
  while (active > 0) {
    int n = epoll_wait(ep, events, 256, 1000);
    if (n < 0) { if (errno == EINTR) continue; fail("epoll_wait"); }
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      ssize_t r = read(c->fd, c->back + c->got, size - c->got);
      if (r <= 0) { if (r < 0 && errno == EINTR) continue; fail(r == 0 ? "server closed" : "read"); }
      c->got += (size_t)r;
      if (c->got < size) continue;
      double t = now();
      if (memcmp(c->back, c->msg, size) != 0) { fprintf(stderr, "bench_client: echo differs\n"); return 1; }
      if (count < cap) lat[count++] = t - c->started;
      c->got = 0;
      if (t >= end) { close(c->fd); c->fd = -1; active--; continue; }
      c->started = t;
      if (write(c->fd, c->msg, size) != (ssize_t)size) fail("write");
    }
  }
  double secs = now() - start;
  qsort(lat, count, sizeof(double), cmp_double);
  double p50 = count ? lat[(size_t)(count * 0.50)] : 0, p99 = count ? lat[(size_t)(count * 0.99)] : 0;
  printf("{\"round_trips\":%zu,\"seconds\":%.4f,\"rtt_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"ok\":true}\n",
         count, secs, count / secs, p50 * 1e6, p99 * 1e6);
  return 0;
}

static void *echo_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  unsigned char *buf = malloc(PATTERN_LEN);
  ssize_t r;
  while (buf && (r = read(fd, buf, PATTERN_LEN)) > 0) {
    for (ssize_t off = 0; off < r;) {
      ssize_t w = write(fd, buf + off, (size_t)(r - off));
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  free(buf);
  close(fd);
  return NULL;
}

static int serve(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (bind(l, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(l, 512) < 0) fail("listen");
  getsockname(l, (struct sockaddr *)&addr, &len);
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    int c = accept(l, NULL, NULL);
    if (c < 0) { if (errno == EINTR) continue; fail("accept"); }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    if (pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)c) != 0) fail("pthread_create");
    pthread_detach(t);
  }
}

int main(int argc, char **argv) {
  uint32_t x = 0x9e3779b9;  // xorshift32: the same pattern every run
  for (size_t i = 0; i < PATTERN_LEN; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    pattern[i] = (unsigned char)x;
  }
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve();
  if (argc == 5 && strcmp(argv[1], "stream") == 0) {
    return stream(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
  }
  if (argc == 7 && strcmp(argv[1], "rtt") == 0) {
    return rtt(argv[2], atoi(argv[3]), atoi(argv[4]), (size_t)atoi(argv[5]), atof(argv[6]));
  }
  fprintf(stderr,
          "usage: bench_client stream HOST PORT BYTES | rtt HOST PORT CLIENTS MSGSIZE SECONDS | serve\n");
  return 2;
}
