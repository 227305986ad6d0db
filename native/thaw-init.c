/*
 * thaw-init: PID 1 of a snapshot sandbox (SnapStart). It owns the sandbox's Runtime API endpoint
 * and starts the Runtime, so that a CRIU dump of its process tree holds everything the Runtime
 * talks to, and every clone restored from that dump can be reconnected to thaw.
 *
 *   thaw-init --upstream PATH -- PROGRAM [ARGS...]
 *
 * The process thaw starts (through thaw-exec) makes a pid and a network namespace and forks their
 * PID 1, the init; then it only waits for it, forwards SIGTERM and SIGINT to it, and exits like
 * it (exit code N: N; killed by signal N: 128+N). The init
 *   - leads a session of its own (the dumped tree must be one), brings up `lo` and listens on
 *     127.0.0.1:9001, the address Lambda's own init serves the Runtime API on;
 *   - starts PROGRAM (the Runtime) as its child, reaps every process (orphans land on PID 1), and
 *     exits like the Runtime when it ends: the namespace, and everything in it, ends with it;
 *   - relays every TCP connection made to 127.0.0.1:9001 ("inside") over a Unix stream connection
 *     of its own to PATH ("outside"), where thaw serves the Runtime API, both ways, half-closes
 *     included. When thaw closes an outside connection, its inside twin is closed too.
 *
 * Why a Unix socket, and why the signals below: CRIU (`--tcp-established`) carries the Runtime's
 * keep-alive connection to 127.0.0.1:9001 into every clone, since both of its ends are in the
 * tree, but it cannot dump a socket whose peer is outside the tree. So the outside connections are
 * closed before the dump and made again, per clone, after the restore.
 *
 *   SIGUSR2  prepare for a snapshot: stop accepting and stop reading inside (unread bytes stay in
 *            the kernel, where CRIU dumps them), close every outside connection, clear
 *            PR_SET_PDEATHSIG (CRIU restores it, and `criu restore -d` exits at once: every clone
 *            would die), then write "prepared\n" to PATH.prepared and wait.
 *   SIGUSR1  restored (or, without a dump, reconnect): the upstream becomes
 *            dirname(PATH)/clone-INODE.sock, INODE being the inode of /proc/self/ns/net (a clone's
 *            own network namespace: thaw reads the same from /proc/<pid>/ns/net and listens there
 *            first). Every inside connection gets a new outside one, on which its outstanding
 *            request is sent again; then relaying and accepting resume and PR_SET_PDEATHSIG is
 *            set again. When PATH cannot be reached, the init says so, kills the Runtime and
 *            exits 125.
 *   SIGTERM, SIGINT  forwarded to the Runtime.
 *
 * The outstanding request of a connection is what was read from inside since the last byte came
 * from outside. Runtime API clients never pipeline, so this is the one unanswered request: the
 * Runtime's parked `GET /runtime/invocation/next`, whose answer each clone must get. Beyond 64 KiB
 * it is not kept, and such a connection is closed at restore instead.
 *
 * Signals to PID 1 of a pid namespace are dropped when it has no handler for them; blocked ones
 * are queued, so the init keeps them blocked and reads them from a signalfd.
 *
 * Descriptors: stdin, stdout and stderr are kept (thaw's pipes; `criu restore --inherit-fd` gives
 * each clone new ones); every other descriptor thaw-init inherits (thaw-exec's status pipe, say) is
 * closed at once, so nothing else of the host is in the dumped tree.
 *
 * Errors: "thaw-init: ..." on stderr and exit 125 (the Runtime's own code otherwise); the Runtime's
 * exec failure exits 127 when PROGRAM is not found, else 126, as thaw-exec does.
 *
 * Standard C and Linux system calls only. Built by scripts/build-native.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_HELPER 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127
#define API_PORT 9001
#define MAX_CONNECTIONS 64
#define RELAY_BUFFER (64u * 1024u)
#define MAX_REQUEST RELAY_BUFFER /* so that a replay fits in the relay buffer */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* One direction of a relayed connection: bytes read from one side, not yet written to the other. */
struct direction {
  char *buf;
  size_t off, len;
  int eof; /* 1: read end-of-file; 2: and passed it on */
};

/* A connection made inside the sandbox and its twin to thaw. */
struct connection {
  int inside, outside; /* inside == -1: free slot; outside == -1: none (prepared) */
  struct direction up;   /* inside → outside */
  struct direction down; /* outside → inside */
  char *request;         /* the outstanding request */
  size_t request_len;
  int replayable; /* the outstanding request fits in `request` */
  int answered;   /* a byte came from outside after the last one from inside */
};

static char upstream[PATH_MAX];
static char prepared_path[PATH_MAX + 16];
static struct connection connections[MAX_CONNECTIONS];
static pid_t runtime = -1;
static int preparing;

static void fail(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "thaw-init: ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n");
  va_end(args);
  if (runtime > 0) kill(runtime, SIGKILL);
  _exit(EXIT_HELPER);
}

/* The exit code of a process that ended with `status`, as a shell reports it. */
static int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_HELPER;
}

static void close_inherited_fds(void) {
  /* Nothing of the host but stdio may be in the dumped tree (thaw-exec's status pipe, say). */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  for (int fd = 3; fd < 1024; fd++) close(fd);
}

/* The outer process: waits for the init, forwards SIGTERM and SIGINT to it and exits like it. */
static int outer(pid_t init, const sigset_t *signals) {
  for (;;) {
    int signo = sigwaitinfo(signals, NULL);
    if (signo == SIGTERM || signo == SIGINT) kill(init, signo);
    int status;
    if (signo == SIGCHLD && waitpid(init, &status, WNOHANG) == init) return exit_code(status);
  }
}

/* Loopback up (as thaw-spawner's isolate_network), then the Runtime API's listening socket. */
static int listen_inside(void) {
  int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (control < 0 || ioctl(control, SIOCGIFFLAGS, &ifr) < 0) fail("cannot read the flags of lo: %s", strerror(errno));
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(control, SIOCSIFFLAGS, &ifr) < 0) fail("cannot bring up lo: %s", strerror(errno));
  close(control);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(API_PORT), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 128) < 0)
    fail("cannot listen for the Runtime API on 127.0.0.1:%d: %s", API_PORT, strerror(errno));
  return fd;
}

/* In the Runtime's process: a clean signal state, nothing but stdio, then PROGRAM. */
static void exec_runtime(char **argv) {
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  execvp(argv[0], argv);
  int error = errno;
  fprintf(stderr, "thaw-init: cannot execute %s: %s\n", argv[0], strerror(error));
  _exit(error == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE);
}

/* A new connection to thaw's Runtime API, non-blocking once made, or -1 (errno set). A Unix
 * connect() completes at once unless thaw's backlog is full. */
static int connect_upstream(void) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(upstream) >= sizeof address.sun_path) return errno = ENAMETOOLONG, -1;
  strcpy(address.sun_path, upstream);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int result;
  do {
    result = connect(fd, (struct sockaddr *)&address, sizeof address);
  } while (result < 0 && errno == EINTR);
  if (result < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
    int error = errno;
    close(fd);
    return errno = error, -1;
  }
  return fd;
}

static void close_connection(struct connection *c) {
  close(c->inside);
  if (c->outside >= 0) close(c->outside);
  free(c->up.buf);
  free(c->down.buf);
  free(c->request);
  memset(c, 0, sizeof *c);
  c->inside = c->outside = -1;
}

static void accept_connections(int listener) {
  for (;;) {
    int inside = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (inside < 0) return;
    struct connection *c = NULL;
    for (int i = 0; i < MAX_CONNECTIONS && c == NULL; i++)
      if (connections[i].inside < 0) c = &connections[i];
    int outside = c == NULL ? -1 : connect_upstream();
    char *up = malloc(RELAY_BUFFER), *down = malloc(RELAY_BUFFER), *request = malloc(MAX_REQUEST);
    if (outside < 0 || up == NULL || down == NULL || request == NULL) {
      /* The Runtime sees its connection refused, as it would see thaw's. */
      close(inside);
      if (outside >= 0) close(outside);
      free(up);
      free(down);
      free(request);
      continue;
    }
    int one = 1;
    setsockopt(inside, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *c = (struct connection){.inside = inside, .outside = outside, .up = {.buf = up}, .down = {.buf = down},
                             .request = request, .replayable = 1};
  }
}

/* Keeps the bytes just read from inside as (part of) the outstanding request. */
static void record(struct connection *c, const char *bytes, size_t n) {
  if (c->answered) {
    c->request_len = 0;
    c->replayable = 1;
    c->answered = 0;
  }
  if (!c->replayable) return;
  if (c->request_len + n > MAX_REQUEST) {
    c->replayable = 0;
    return;
  }
  memcpy(c->request + c->request_len, bytes, n);
  c->request_len += n;
}

/* Moves bytes of one direction: reads `from` when the buffer is empty, writes `to` when it is not.
 * Returns the number of bytes read (now at d->buf), or -1 when the connection failed. */
static ssize_t relay(int from, int to, struct direction *d, short from_events, short to_events) {
  ssize_t got = 0;
  if ((from_events & (POLLIN | POLLHUP | POLLERR)) && d->len == 0 && !d->eof) {
    ssize_t n = read(from, d->buf, RELAY_BUFFER);
    if (n > 0) {
      d->off = 0;
      d->len = (size_t)n;
      got = n;
    } else if (n == 0) {
      d->eof = 1;
    } else if (errno != EAGAIN && errno != EINTR) {
      return -1;
    }
  }
  if (d->len > 0 && (to_events & POLLOUT)) {
    ssize_t n = write(to, d->buf + d->off, d->len);
    if (n > 0) {
      d->off += (size_t)n;
      d->len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return -1;
    }
  }
  if (d->eof == 1 && d->len == 0) {
    shutdown(to, SHUT_WR);
    d->eof = 2;
  }
  return got;
}

/* SIGUSR2: leave the tree as CRIU must find it, then tell thaw. */
static void prepare(void) {
  preparing = 1;
  for (int i = 0; i < MAX_CONNECTIONS; i++) {
    if (connections[i].outside >= 0) close(connections[i].outside);
    connections[i].outside = -1;
  }
  prctl(PR_SET_PDEATHSIG, 0);
  int fd = open(prepared_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "prepared\n", 9) != 9) fail("cannot write %s: %s", prepared_path, strerror(errno));
  close(fd);
}

/* SIGUSR1: this is a clone (or thaw asks to reconnect): connect every inside connection to the
 * clone's own upstream and send its outstanding request again. */
static void restored(void) {
  struct stat netns;
  if (stat("/proc/self/ns/net", &netns) < 0) fail("cannot read /proc/self/ns/net: %s", strerror(errno));
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", upstream);
  int len = snprintf(upstream, sizeof upstream, "%s/clone-%llu.sock", dirname(dir), (unsigned long long)netns.st_ino);
  if (len < 0 || (size_t)len >= sizeof upstream) fail("the upstream path is too long");
  for (int i = 0; i < MAX_CONNECTIONS; i++) {
    struct connection *c = &connections[i];
    if (c->inside < 0) continue;
    if (c->outside >= 0) close(c->outside);
    c->outside = -1;
    if (!c->replayable || c->down.eof) {
      /* Its request cannot be sent again (or thaw had closed it): the Runtime reconnects. */
      close_connection(c);
      continue;
    }
    c->outside = connect_upstream();
    if (c->outside < 0) fail("cannot reach the Runtime API at %s: %s", upstream, strerror(errno));
    /* What is left in the up buffer is the end of the outstanding request, sent whole below. */
    c->up.off = 0;
    c->up.len = c->answered ? 0 : c->request_len;
    memcpy(c->up.buf, c->request, c->up.len);
    if (c->up.eof == 2) c->up.eof = 1; /* half-close the new twin too, once the request is sent */
  }
  preparing = 0;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Handles the queued signals; returns when the Runtime has not ended. */
static void handle_signals(int sfd) {
  struct signalfd_siginfo info;
  while (read(sfd, &info, sizeof info) == sizeof info) {
    switch (info.ssi_signo) {
    case SIGCHLD:
      for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (pid == runtime) _exit(exit_code(status));
      }
      break;
    case SIGTERM:
    case SIGINT:
      kill(runtime, (int)info.ssi_signo);
      break;
    case SIGUSR2:
      prepare();
      break;
    case SIGUSR1:
      restored();
      break;
    }
  }
}

/* PID 1 of the new namespaces. `parent_alive` is the read end of a pipe the outer process holds. */
static void init(char **argv, const sigset_t *signals, int parent_alive) __attribute__((noreturn));
static void init(char **argv, const sigset_t *signals, int parent_alive) {
  if (setsid() < 0) fail("setsid: %s", strerror(errno));
  int listener = listen_inside();
  /* Die with the outer process, and make sure it did not die before this took effect. */
  struct pollfd alive = {.fd = parent_alive, .events = POLLIN};
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&alive, 1, 0) != 0) fail("the outer process is gone");
  close(parent_alive);
  int sfd = signalfd(-1, signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) fail("signalfd: %s", strerror(errno));
  for (int i = 0; i < MAX_CONNECTIONS; i++) connections[i].inside = connections[i].outside = -1;
  runtime = fork();
  if (runtime < 0) fail("cannot fork the Runtime: %s", strerror(errno));
  if (runtime == 0) exec_runtime(argv);

  static struct pollfd fds[2 + 2 * MAX_CONNECTIONS];
  static int owner[2 + 2 * MAX_CONNECTIONS];
  for (;;) {
    /* The signals; when not preparing, the listener and both sides of every connection. */
    nfds_t count = 0;
    fds[count++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    fds[count++] = (struct pollfd){.fd = preparing ? -1 : listener, .events = POLLIN};
    nfds_t first_connection = count;
    for (int i = 0; i < MAX_CONNECTIONS && !preparing; i++) {
      struct connection *c = &connections[i];
      if (c->inside < 0) continue;
      short in_events = 0, out_events = 0;
      if (c->up.len == 0 && !c->up.eof) in_events |= POLLIN;
      if (c->down.len > 0) in_events |= POLLOUT;
      if (c->down.len == 0 && !c->down.eof) out_events |= POLLIN;
      if (c->up.len > 0) out_events |= POLLOUT;
      owner[count] = i;
      fds[count++] = (struct pollfd){.fd = c->inside, .events = in_events};
      owner[count] = i;
      fds[count++] = (struct pollfd){.fd = c->outside, .events = out_events};
    }
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll: %s", strerror(errno));
    }
    for (nfds_t k = first_connection; k + 1 < count; k += 2) {
      struct connection *c = &connections[owner[k]];
      short in = fds[k].revents, out = fds[k + 1].revents;
      ssize_t up = relay(c->inside, c->outside, &c->up, in, out);
      if (up > 0) record(c, c->up.buf, (size_t)up);
      ssize_t down = up < 0 ? -1 : relay(c->outside, c->inside, &c->down, out, in);
      if (down > 0) c->answered = 1;
      /* thaw closed its side, and the Runtime has had every byte: so does the Runtime API. */
      if (up < 0 || down < 0 || c->down.eof == 2) close_connection(c);
    }
    if (fds[1].revents & POLLIN) accept_connections(listener);
    if (fds[0].revents & POLLIN) handle_signals(sfd);
  }
}

int main(int argc, char **argv) {
  const char *usage = "usage: thaw-init --upstream PATH -- PROGRAM [ARGS...]";
  if (argc < 5 || strcmp(argv[1], "--upstream") != 0 || strcmp(argv[3], "--") != 0 || argv[2][0] == '\0') {
    fprintf(stderr, "thaw-init: %s\n", usage);
    return EXIT_HELPER;
  }
  if (strlen(argv[2]) >= sizeof ((struct sockaddr_un *)0)->sun_path) fail("the upstream path is too long for a Unix socket: %s", argv[2]);
  snprintf(upstream, sizeof upstream, "%s", argv[2]);
  snprintf(prepared_path, sizeof prepared_path, "%s.prepared", upstream);
  signal(SIGPIPE, SIG_IGN); /* a write to a closed connection fails with EPIPE instead */
  close_inherited_fds();

  /* Blocked from here on in both processes: the outer waits for them, the init reads them. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGCHLD);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGUSR2);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, NULL);
  int parent_alive[2];
  if (pipe2(parent_alive, O_CLOEXEC) < 0) fail("pipe: %s", strerror(errno));
  if (unshare(CLONE_NEWPID | CLONE_NEWNET) < 0) fail("cannot make the sandbox's pid and network namespaces: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) fail("cannot fork the init: %s", strerror(errno));
  if (pid == 0) {
    close(parent_alive[1]);
    init(argv + 4, &signals, parent_alive[0]);
  }
  close(parent_alive[0]);
  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGINT);
  return outer(pid, &waited);
}
