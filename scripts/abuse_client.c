// Hostile peers for the echo server's abuse test (tests/abuse_test.ts), `deno task soak` and
// tests/hostile_test.ts: what a Deno program cannot do (reset a connection with SO_LINGER 0) or
// cannot do fast enough while also measuring the server. Built with the machine's cc.
//
//   abuse_client churn HOST PORT RATE SECONDS
//     Opens RATE connections per second for SECONDS and resets each (SO_LINGER 0, so close sends
//     RST): one in four at once, one after sending a byte, one after a byte's round trip (so the
//     server had it in hand), one after a connect only. Prints
//     {"opened":N,"failed":F,"echoed":E,"seconds":S,"per_s":R} at the end.
//
//   abuse_client halfopen HOST PORT COUNT BYTES
//     Opens COUNT connections; each sends up to BYTES (what the socket takes without blocking)
//     and never reads. Prints {"opened":N,"failed":F,"sent":B} once all are open, then holds
//     them until its stdin ends, and closes them.
//
//   abuse_client flood HOST PORT BYTES
//     One connection that sends BYTES and never reads. Prints {"stalled":B} the first time 200 ms
//     pass with no byte taken (the server has stopped reading it), {"sent":B,"error":E} when its
//     stdin ends or the send fails, and exits.
//
//   abuse_client rtt HOST PORT MSGSIZE
//     A well-behaved client: round trips of MSGSIZE bytes, each checked, a new connection every
//     100 of them, until its stdin ends. A round trip that fails or takes over 1 s counts as
//     failed. Prints {"round_trips":N,"failed":F,"p50_us":A,"p99_us":B,"max_us":C}.
//
//   abuse_client reset-server HOST 0 BYTES
//     A server that resets mid-body: listens on HOST and a free port (printed first), accepts one
//     connection, reads the request, sends a response head promising 1,000,000 bytes and BYTES of
//     them, then resets the connection (SO_LINGER 0).
//
// Exits 2 on a usage error; every other problem is counted in the output.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in target;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void) {
  fprintf(stderr, "usage: abuse_client churn|halfopen|flood|rtt HOST PORT ...\n");
  exit(2);
}

// Connects without blocking for longer than `timeout_ms`; returns the socket or -1.
static int dial(int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&target, sizeof target) < 0) {
    if (errno != EINPROGRESS) {
      close(fd);
      return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
        err != 0) {
      close(fd);
      return -1;
    }
  }
  return fd;
}

static void reset(int fd) {
  struct linger off = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
  close(fd);
}

// Whether stdin has ended (or `wait_ms` passed first: then 0).
static int stdin_ended(int wait_ms) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  if (poll(&p, 1, wait_ms) != 1) return 0;
  char buf[256];
  ssize_t n = read(0, buf, sizeof buf);
  return n <= 0;
}

static int churn(long rate, double seconds) {
  long opened = 0, failed = 0, echoed = 0;
  double start = now();
  long total = (long)(rate * seconds);
  for (long i = 0; i < total; i++) {
    double due = start + (double)i / rate;
    double wait = due - now();
    if (wait > 0) {
      struct timespec ts = {.tv_sec = (time_t)wait, .tv_nsec = (long)((wait - (time_t)wait) * 1e9)};
      nanosleep(&ts, NULL);
    }
    int fd = dial(100);
    if (fd < 0) {
      failed++;
      continue;
    }
    opened++;
    if (i % 4 == 1) (void)!send(fd, "x", 1, MSG_NOSIGNAL);
    if (i % 4 == 3 && send(fd, "x", 1, MSG_NOSIGNAL) == 1) {
      // Reset only once the server has echoed the byte: it had the connection in hand.
      struct pollfd p = {.fd = fd, .events = POLLIN};
      char byte;
      if (poll(&p, 1, 100) == 1 && recv(fd, &byte, 1, 0) == 1) echoed++;
    }
    reset(fd);
  }
  double took = now() - start;
  printf("{\"opened\":%ld,\"failed\":%ld,\"echoed\":%ld,\"seconds\":%.3f,\"per_s\":%.0f}\n", opened,
         failed, echoed, took, opened / took);
  return 0;
}

static int halfopen(long count, long bytes) {
  int *fds = calloc(count, sizeof(int));
  char *data = malloc(bytes > 0 ? bytes : 1);
  memset(data, 'h', bytes > 0 ? bytes : 1);
  long opened = 0, failed = 0, sent = 0;
  for (long i = 0; i < count; i++) {
    // 3 s: room for one SYN retransmission (1 s), as a burst of connects may overflow the backlog.
    fds[i] = dial(3000);
    if (fds[i] < 0) {
      failed++;
      continue;
    }
    opened++;
    ssize_t n = send(fds[i], data, bytes, MSG_NOSIGNAL);
    if (n > 0) sent += n;
  }
  printf("{\"opened\":%ld,\"failed\":%ld,\"sent\":%ld}\n", opened, failed, sent);
  fflush(stdout);
  while (!stdin_ended(-1)) {
  }
  for (long i = 0; i < count; i++)
    if (fds[i] >= 0) close(fds[i]);
  return 0;
}

static int flood(long long bytes) {
  static char chunk[256 * 1024];
  memset(chunk, 'f', sizeof chunk);
  int fd = dial(1000);
  if (fd < 0) {
    printf("{\"sent\":0,\"error\":\"connect: %s\"}\n", strerror(errno));
    return 0;
  }
  long long sent = 0;
  int stalled = 0;
  const char *error = "";
  double last = now();
  struct pollfd p[2] = {{.fd = fd, .events = POLLOUT}, {.fd = 0, .events = POLLIN}};
  while (sent < bytes) {
    if (poll(p, 2, 50) < 0 && errno != EINTR) break;
    if (p[1].revents) {
      char buf[256];
      if (read(0, buf, sizeof buf) <= 0) break;
    }
    if (p[0].revents & (POLLERR | POLLHUP)) {
      error = "peer closed";
      break;
    }
    if (p[0].revents & POLLOUT) {
      long long want = bytes - sent < (long long)sizeof chunk ? bytes - sent : (long long)sizeof chunk;
      ssize_t n = send(fd, chunk, want, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN) {
        error = strerror(errno);
        break;
      }
      if (n > 0) {
        sent += n;
        last = now();
      }
    }
    if (!stalled && now() - last > 0.2) {
      stalled = 1;
      printf("{\"stalled\":%lld}\n", sent);
      fflush(stdout);
    }
  }
  printf("{\"sent\":%lld,\"error\":\"%s\"}\n", sent, error);
  close(fd);
  return 0;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// One round trip of `size` bytes on `fd`, within 1 s; returns its time in seconds or -1.
static double round_trip(int fd, const char *out, char *in, long size) {
  double start = now();
  long written = 0, got = 0;
  while (written < size) {
    ssize_t n = send(fd, out + written, size - written, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN) return -1;
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      if (poll(&p, 1, 1000) != 1) return -1;
      continue;
    }
    written += n;
  }
  while (got < size) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int left = 1000 - (int)((now() - start) * 1000);
    if (left <= 0 || poll(&p, 1, left) != 1) return -1;
    ssize_t n = recv(fd, in + got, size - got, 0);
    if (n <= 0) return -1;
    got += n;
  }
  if (memcmp(out, in, size) != 0) return -1;
  return now() - start;
}

static int rtt(long size) {
  char *out = malloc(size), *in = malloc(size);
  long capacity = 1 << 16, done = 0, failed = 0;
  double *times = malloc(capacity * sizeof(double));
  int fd = -1;
  for (long i = 0; !stdin_ended(0); i++) {
    if (fd < 0 || i % 100 == 0) {
      if (fd >= 0) close(fd);
      fd = dial(1000);
      if (fd < 0) {
        failed++;
        struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    for (long j = 0; j < size; j++) out[j] = (char)(i + j);
    double took = round_trip(fd, out, in, size);
    if (took < 0) {
      failed++;
      close(fd);
      fd = -1;
      continue;
    }
    if (done == capacity) times = realloc(times, (capacity *= 2) * sizeof(double));
    times[done++] = took;
  }
  qsort(times, done, sizeof(double), compare_double);
  double p50 = done ? times[done / 2] : 0, p99 = done ? times[(long)(done * 0.99)] : 0;
  double max = done ? times[done - 1] : 0;
  printf("{\"round_trips\":%ld,\"failed\":%ld,\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f}\n",
         done, failed, p50 * 1e6, p99 * 1e6, max * 1e6);
  return 0;
}

static int reset_server(long bytes) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in bound = target;
  socklen_t len = sizeof bound;
  if (listener < 0 || bind(listener, (struct sockaddr *)&target, sizeof target) < 0 ||
      listen(listener, 1) < 0 || getsockname(listener, (struct sockaddr *)&bound, &len) < 0) {
    perror("reset-server");
    return 1;
  }
  printf("%d\n", ntohs(bound.sin_port));
  int fd = accept(listener, NULL, NULL);
  if (fd < 0) return 1;
  char request[65536];
  (void)!recv(fd, request, sizeof request, 0);
  const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
  (void)!send(fd, head, strlen(head), MSG_NOSIGNAL);
  char *body = malloc(bytes > 0 ? bytes : 1);
  memset(body, 'x', bytes > 0 ? bytes : 1);
  for (long sent = 0; sent < bytes;) {
    ssize_t n = send(fd, body + sent, bytes - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += n;
  }
  reset(fd);
  close(listener);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) usage();
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  target.sin_family = AF_INET;
  target.sin_port = htons(atoi(argv[3]));
  if (inet_pton(AF_INET, argv[2], &target.sin_addr) != 1) usage();
  const char *mode = argv[1];
  if (!strcmp(mode, "churn") && argc == 6) return churn(atol(argv[4]), atof(argv[5]));
  if (!strcmp(mode, "halfopen") && argc == 6) return halfopen(atol(argv[4]), atol(argv[5]));
  if (!strcmp(mode, "flood") && argc == 5) return flood(atoll(argv[4]));
  if (!strcmp(mode, "rtt") && argc == 5) return rtt(atol(argv[4]));
  if (!strcmp(mode, "reset-server") && argc == 5) return reset_server(atol(argv[4]));
  usage();
  return 2;
}
