/*
 * thaw-spawner: a small, long-lived fork server that starts thaw-exec for thaw.
 *
 *   thaw-spawner THAW_EXEC
 *
 * Why: a fork() copies the page tables and the descriptor table of the process that calls it.
 * thaw's serve process holds a large heap and thousands of sockets, so every child_process.spawn()
 * there blocks its event loop for milliseconds, more as it grows. This process stays a few hundred
 * kilobytes with a handful of descriptors, so its fork() costs the same whatever thaw holds.
 *
 * Protocol (thaw is the parent; stdin carries requests, stdout events, one per line or frame):
 *
 *   request  "L" u32le(length) payload   launch: payload is NUL-terminated strings:
 *                                        id, cwd, net, argc, argv[0..argc), envc, env[0..envc)
 *                                        net is "" (the host's network), "-" (a network
 *                                        of its own, nothing relayed) or
 *                                        "PORT TARGET_IP TARGET_PORT" (see Network isolation)
 *   request  "R" id "\n"                 release: thaw has opened the pipes of launch `id`
 *   event    "S id pid out err status\n" started: the child runs; out, err and status are
 *                                        this process's descriptors of the read ends of its stdout,
 *                                        stderr and exec-status pipes (thaw opens them through
 *                                        /proc/<pid of thaw-spawner>/fd/ and then releases them)
 *   event    "F id errno\n"              the pipes or the fork failed: nothing was started
 *   event    "X pid code signal\n"       a child was reaped: exit code, or -1 and the signal; also
 *                                        an orphan of one (thaw-spawner is a child subreaper)
 *   request  "W" id " " CLIENT_IP " " CLIENT_PORT " " SERVER_IP " " SERVER_PORT "\n"
 *                                        who: which process opened the TCP connection from
 *                                        CLIENT to SERVER (see Connection owners)
 *   event    "O id relay pid\n"          its owner: this process's relay for child `pid`
 *   event    "O id socket cgroup inode\n" its owner: a socket of cgroup (v2) id `cgroup`, inode
 *                                        `inode` (see /proc/<pid>/fd/ for `socket:[inode]`)
 *   event    "O id none\n"               no such connection exists (any more)
 *   event    "O id error errno\n"         the kernel could not be asked
 *
 * The child gets /dev/null as stdin, the pipes as 1, 2 and 3, the given working directory and
 * PR_SET_PDEATHSIG, and execve()s THAW_EXEC with argv and env. When it cannot, it writes one line
 * "thaw-spawner: ..." to the status pipe and exits 125, as thaw-exec does for its own failures.
 *
 * Network isolation: with a net field, the child gets a network namespace of its own, with only a
 * loopback interface, before it execs thaw-exec. It listens there on 127.0.0.1:PORT and hands the
 * listening socket to thaw-spawner, which accepts the connections made inside and relays each to
 * TARGET_IP:TARGET_PORT in the host's network (the environment's Runtime API). So the Runtime
 * reaches its own Runtime API, and nothing else: no other environment's, no host port, no
 * network. The listening socket is closed when the child is reaped.
 *
 * Connection owners: every Runtime API listens on the host's loopback, where any process can
 * connect, so thaw asks who opened each connection before it answers on it. A connection relayed
 * from an isolated network is this process's own; any other is looked up in the kernel's socket
 * table (sock_diag netlink, an exact lookup by address and port), which gives the cgroup the
 * socket was created in and its inode.
 *
 * thaw-spawner dies with thaw (PR_SET_PDEATHSIG), and every Runtime dies with thaw-spawner
 * (thaw-exec sets the same on them). It exits when its stdin reaches end-of-file.
 *
 * Standard C and Linux system calls only. Built by scripts/build-native.sh.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_HELPER 125
#define MAX_FRAME (64u * 1024u * 1024u)
#define MAX_PENDING 4096
#define MAX_LISTENERS 4096
#define MAX_CONNECTIONS 4096
#define RELAY_BUFFER (64u * 1024u)

#ifndef INET_DIAG_CGROUP_ID
#define INET_DIAG_CGROUP_ID 21 /* Linux 5.7 */
#endif

struct pending {
  char id[64];
  int fds[3];
};

static const char *thaw_exec;
static pid_t spawner;
static struct pending pending[MAX_PENDING];

/* A listening socket inside an isolated child's network namespace, and where it relays to. */
struct listener {
  int fd; /* -1: free slot */
  pid_t pid;
  struct sockaddr_in target;
};

/* One direction of a relayed connection: bytes read from one side, not yet written to the other. */
struct direction {
  char *buf;
  size_t off, len;
  int eof;
};

/* A connection made inside a sandbox (inside) and its twin to the target (outside). */
struct connection {
  int inside, outside; /* inside == -1: free slot */
  int connected;       /* the outside connect() has completed */
  pid_t pid;           /* the child whose listener accepted it */
  struct sockaddr_in local; /* the outside socket's own address: what the target sees */
  struct direction up;   /* inside → outside */
  struct direction down; /* outside → inside */
};

static struct listener listeners[MAX_LISTENERS];
static struct connection connections[MAX_CONNECTIONS];

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(EXIT_HELPER); /* thaw is gone: so are we. */
    }
    buf += n;
    len -= (size_t)n;
  }
}

static void event(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void event(const char *format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  int len = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (len > 0) write_all(STDOUT_FILENO, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* Reads exactly len bytes from stdin; returns 0 at end-of-file. */
static int read_exact(char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = read(STDIN_FILENO, buf, len);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 1;
}

/* In the child: reports a failure on the status pipe (descriptor 3) and exits. */
static void child_fail(const char *what, const char *detail) {
  char line[4096];
  int len = snprintf(line, sizeof line, "thaw-spawner: %s %s: %s\n", what, detail, strerror(errno));
  if (len > 0) {
    ssize_t ignored = write(3, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    (void)ignored;
  }
  _exit(EXIT_HELPER);
}

/* Parses "PORT TARGET_IP TARGET_PORT"; returns 0 when it is malformed. */
static int parse_net(const char *net, int *port, struct sockaddr_in *target) {
  char ip[64];
  int target_port;
  if (sscanf(net, "%d %63s %d", port, ip, &target_port) != 3) return 0;
  if (*port < 1 || *port > 65535 || target_port < 1 || target_port > 65535) return 0;
  memset(target, 0, sizeof *target);
  target->sin_family = AF_INET;
  target->sin_port = htons((uint16_t)target_port);
  return inet_pton(AF_INET, ip, &target->sin_addr) == 1;
}

/* In the child: a network namespace of its own with loopback up and, with a port, listening on
 * 127.0.0.1:port; the listening socket goes to thaw-spawner over `channel`. */
static void isolate_network(int port, int channel) {
  if (unshare(CLONE_NEWNET) < 0) child_fail("cannot make a network namespace", "for the Runtime");
  int control = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (control < 0 || ioctl(control, SIOCGIFFLAGS, &ifr) < 0) child_fail("cannot read the flags of", "lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(control, SIOCSIFFLAGS, &ifr) < 0) child_fail("cannot bring up", "lo");
  close(control);
  if (port == 0) return;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 128) < 0)
    child_fail("cannot listen for the Runtime API on", "127.0.0.1");
  char byte = 0;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  char control_buf[CMSG_SPACE(sizeof(int))];
  memset(control_buf, 0, sizeof control_buf);
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control_buf, .msg_controllen = sizeof control_buf};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(channel, &message, 0) < 0) child_fail("cannot hand over the Runtime API listener", "to thaw-spawner");
  close(fd);
  close(channel);
}

/* In thaw-spawner: the listening socket a child sent, or -1 when it failed before sending one. */
static int receive_listener(int channel) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  char control_buf[CMSG_SPACE(sizeof(int))];
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control_buf, .msg_controllen = sizeof control_buf};
  ssize_t n;
  do {
    n = recvmsg(channel, &message, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  struct cmsghdr *cmsg = n > 0 ? CMSG_FIRSTHDR(&message) : NULL;
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* Splits a launch payload into its strings; returns 0 when it is malformed. */
static int parse_launch(char *payload, size_t length, char **id, char **cwd, char **net, char ***argv, char ***envp) {
  char *cursor = payload, *end = payload + length;
  if (length == 0 || end[-1] != '\0') return 0;
  char *fields[4];
  for (int i = 0; i < 4; i++) {
    if (cursor >= end) return 0;
    fields[i] = cursor;
    cursor += strlen(cursor) + 1;
  }
  *id = fields[0];
  *cwd = fields[1];
  *net = fields[2];
  long argc = strtol(fields[3], NULL, 10);
  if (argc < 1 || argc > 100000) return 0;
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (args == NULL) return 0;
  for (long i = 0; i < argc; i++) {
    if (cursor >= end) return free(args), 0;
    args[i] = cursor;
    cursor += strlen(cursor) + 1;
  }
  if (cursor >= end) return free(args), 0;
  long envc = strtol(cursor, NULL, 10);
  cursor += strlen(cursor) + 1;
  if (envc < 0 || envc > 100000) return free(args), 0;
  char **env = calloc((size_t)envc + 1, sizeof *env);
  if (env == NULL) return free(args), 0;
  for (long i = 0; i < envc; i++) {
    if (cursor >= end) return free(args), free(env), 0;
    env[i] = cursor;
    cursor += strlen(cursor) + 1;
  }
  *argv = args;
  *envp = env;
  return 1;
}

static void launch(char *payload, size_t length, const sigset_t *original_mask) {
  char *id, *cwd, *net, **argv, **envp;
  if (!parse_launch(payload, length, &id, &cwd, &net, &argv, &envp)) {
    event("F - %d\n", EINVAL);
    return;
  }
  int isolated = net[0] != '\0';
  int relayed = isolated && strcmp(net, "-") != 0;
  int port = 0;
  struct sockaddr_in target;
  int slot = -1;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].id[0] == '\0') {
      slot = i;
      break;
    }
  }
  int listener_slot = -1;
  for (int i = 0; relayed && i < MAX_LISTENERS; i++) {
    if (listeners[i].fd < 0) {
      listener_slot = i;
      break;
    }
  }
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int channel[2] = {-1, -1};
  int error = slot < 0 || strlen(id) >= sizeof pending[0].id || (relayed && listener_slot < 0) ? EMFILE : 0;
  if (error == 0 && relayed && !parse_net(net, &port, &target)) error = EINVAL;
  for (int i = 0; i < 3 && error == 0; i++) {
    if (pipe2(pipes[i], O_CLOEXEC) < 0) error = errno;
  }
  if (error == 0 && relayed && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, channel) < 0) error = errno;
  pid_t pid = -1;
  if (error == 0) {
    pid = fork();
    if (pid < 0) error = errno;
  }
  if (pid == 0) {
    /* Descriptors 0-3 of the child, all without O_CLOEXEC; every other one is close-on-exec. */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipes[2][1] != 3 && dup2(pipes[2][1], 3) < 0) _exit(EXIT_HELPER);
    if (null < 0 || dup2(null, 0) < 0 || dup2(pipes[0][1], 1) < 0 || dup2(pipes[1][1], 2) < 0)
      child_fail("cannot set up the standard streams", "of the Runtime");
    sigprocmask(SIG_SETMASK, original_mask, NULL);
    /* Die with thaw-spawner, and make sure it did not die before this took effect (thaw-exec
     * then checks that its parent is still the one it started with). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != spawner) child_fail("cannot tie the Runtime", "to thaw-spawner");
    if (isolated) isolate_network(port, channel[1]);
    if (chdir(cwd) < 0) child_fail("cannot change to the working directory", cwd);
    execve(thaw_exec, argv, envp);
    child_fail("cannot execute", thaw_exec);
  }
  for (int i = 0; i < 3; i++) {
    if (pipes[i][1] >= 0) close(pipes[i][1]);
  }
  if (channel[1] >= 0) close(channel[1]);
  free(argv);
  free(envp);
  if (error != 0) {
    for (int i = 0; i < 3; i++) {
      if (pipes[i][0] >= 0) close(pipes[i][0]);
    }
    if (channel[0] >= 0) close(channel[0]);
    event("F %s %d\n", id, error);
    return;
  }
  if (relayed) {
    /* A child that failed before sending reports why on its status pipe and exits 125. */
    int fd = receive_listener(channel[0]);
    close(channel[0]);
    if (fd >= 0) listeners[listener_slot] = (struct listener){.fd = fd, .pid = pid, .target = target};
  }
  snprintf(pending[slot].id, sizeof pending[slot].id, "%s", id);
  for (int i = 0; i < 3; i++) pending[slot].fds[i] = pipes[i][0];
  event("S %s %d %d %d %d\n", id, (int)pid, pipes[0][0], pipes[1][0], pipes[2][0]);
}

/* Closes the listener of a reaped child: nothing can connect inside any more. */
static void close_listener_of(pid_t pid) {
  for (int i = 0; i < MAX_LISTENERS; i++) {
    if (listeners[i].fd >= 0 && listeners[i].pid == pid) {
      close(listeners[i].fd);
      listeners[i].fd = -1;
    }
  }
}

static void close_connection(struct connection *c) {
  close(c->inside);
  close(c->outside);
  free(c->up.buf);
  free(c->down.buf);
  c->inside = c->outside = -1;
}

/* Accepts one connection made inside a sandbox and starts its twin to the target. */
static void accept_connection(struct listener *l) {
  int inside = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (inside < 0) return;
  struct connection *c = NULL;
  for (int i = 0; i < MAX_CONNECTIONS; i++) {
    if (connections[i].inside < 0) {
      c = &connections[i];
      break;
    }
  }
  int outside = c == NULL ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  char *up = malloc(RELAY_BUFFER), *down = malloc(RELAY_BUFFER);
  int refused = outside < 0 || up == NULL || down == NULL ||
                (connect(outside, (struct sockaddr *)&l->target, sizeof l->target) < 0 && errno != EINPROGRESS);
  if (refused) {
    close(inside);
    if (outside >= 0) close(outside);
    free(up);
    free(down);
    return;
  }
  int one = 1;
  setsockopt(inside, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(outside, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *c = (struct connection){.inside = inside, .outside = outside, .pid = l->pid, .up = {.buf = up}, .down = {.buf = down}};
  socklen_t size = sizeof c->local;
  if (getsockname(outside, (struct sockaddr *)&c->local, &size) < 0) memset(&c->local, 0, sizeof c->local);
}

/* Moves bytes of one direction: reads `from` when the buffer is empty, writes `to` when it is not.
 * Returns 0 when the connection failed. */
static int relay(int from, int to, struct direction *d, short from_events, short to_events) {
  if ((from_events & (POLLIN | POLLHUP | POLLERR)) && d->len == 0 && !d->eof) {
    ssize_t n = read(from, d->buf, RELAY_BUFFER);
    if (n > 0) {
      d->off = 0;
      d->len = (size_t)n;
    } else if (n == 0) {
      d->eof = 1;
    } else if (errno != EAGAIN && errno != EINTR) {
      return 0;
    }
  }
  if (d->len > 0 && (to_events & POLLOUT)) {
    ssize_t n = write(to, d->buf + d->off, d->len);
    if (n > 0) {
      d->off += (size_t)n;
      d->len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return 0;
    }
  }
  if (d->eof && d->len == 0 && d->eof != 2) {
    shutdown(to, SHUT_WR);
    d->eof = 2;
  }
  return 1;
}

static void release(const char *id) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].id[0] != '\0' && strcmp(pending[i].id, id) == 0) {
      for (int j = 0; j < 3; j++) close(pending[i].fds[j]);
      pending[i].id[0] = '\0';
      return;
    }
  }
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    close_listener_of(pid);
    if (WIFEXITED(status)) event("X %d %d 0\n", (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) event("X %d -1 %d\n", (int)pid, WTERMSIG(status));
  }
}

/* Reads one line of at most size-1 bytes from stdin (the rest is dropped); returns 0 at end-of-file. */
static int read_line(char *line, size_t size) {
  size_t len = 0;
  for (;;) {
    char c;
    if (!read_exact(&c, 1)) return 0;
    if (c == '\n') break;
    if (len + 1 < size) line[len++] = c;
  }
  line[len] = '\0';
  return 1;
}

/* Asks the kernel for the TCP socket bound to `client` and connected to `server`: its cgroup id
 * and inode. Returns 1 when found, 0 when there is none, -errno when the kernel could not be asked. */
static int socket_owner(const struct sockaddr_in *client, const struct sockaddr_in *server, uint64_t *cgroup, uint32_t *inode) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 body;
  } ask;
  memset(&ask, 0, sizeof ask);
  ask.header.nlmsg_len = sizeof ask;
  ask.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  ask.header.nlmsg_flags = NLM_F_REQUEST;
  ask.body.sdiag_family = AF_INET;
  ask.body.sdiag_protocol = IPPROTO_TCP;
  ask.body.idiag_states = ~0u;
  ask.body.id.idiag_sport = client->sin_port;
  ask.body.id.idiag_dport = server->sin_port;
  ask.body.id.idiag_src[0] = client->sin_addr.s_addr;
  ask.body.id.idiag_dst[0] = server->sin_addr.s_addr;
  ask.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  ask.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &ask, sizeof ask, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int error = errno;
    close(fd);
    return -error;
  }
  long answer[8192 / sizeof(long)];
  ssize_t n;
  do {
    n = recv(fd, answer, sizeof answer, 0);
  } while (n < 0 && errno == EINTR);
  int error = errno;
  close(fd);
  if (n < 0) return -error;
  struct nlmsghdr *header = (struct nlmsghdr *)answer;
  if (!NLMSG_OK(header, (size_t)n)) return -EPROTO;
  if (header->nlmsg_type == NLMSG_ERROR) {
    struct nlmsgerr *failure = NLMSG_DATA(header);
    return failure->error == -ENOENT ? 0 : failure->error < 0 ? failure->error : -EPROTO;
  }
  if (header->nlmsg_type != SOCK_DIAG_BY_FAMILY || header->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return -EPROTO;
  struct inet_diag_msg *found = NLMSG_DATA(header);
  *inode = found->idiag_inode;
  *cgroup = 0;
  int left = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *found));
  for (struct rtattr *attribute = (struct rtattr *)(found + 1); RTA_OK(attribute, left); attribute = RTA_NEXT(attribute, left)) {
    if (attribute->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(attribute) >= sizeof(uint64_t)) memcpy(cgroup, RTA_DATA(attribute), sizeof(uint64_t));
  }
  return 1;
}

/* Parses "IP PORT"; returns 0 when it is malformed. */
static int parse_endpoint(const char *ip, int port, struct sockaddr_in *address) {
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_port = htons((uint16_t)port);
  return port >= 1 && port <= 65535 && inet_pton(AF_INET, ip, &address->sin_addr) == 1;
}

/* Answers a "W" request: who opened the connection from CLIENT to SERVER. */
static void who(const char *line) {
  char id[64], client_ip[64], server_ip[64];
  int client_port, server_port;
  struct sockaddr_in client, server;
  int fields = sscanf(line, "%63s %63s %d %63s %d", id, client_ip, &client_port, server_ip, &server_port);
  if (fields < 1) return; /* No id to answer to. */
  if (fields != 5 || !parse_endpoint(client_ip, client_port, &client) || !parse_endpoint(server_ip, server_port, &server)) {
    event("O %s error %d\n", id, EINVAL);
    return;
  }
  for (int i = 0; i < MAX_CONNECTIONS; i++) {
    struct connection *c = &connections[i];
    if (c->inside >= 0 && c->local.sin_port == client.sin_port && c->local.sin_addr.s_addr == client.sin_addr.s_addr) {
      event("O %s relay %d\n", id, (int)c->pid);
      return;
    }
  }
  uint64_t cgroup;
  uint32_t inode;
  int found = socket_owner(&client, &server, &cgroup, &inode);
  if (found > 0) event("O %s socket %llu %u\n", id, (unsigned long long)cgroup, inode);
  else if (found == 0) event("O %s none\n", id);
  else event("O %s error %d\n", id, -found);
}

/* Handles one request from stdin; returns 0 at end-of-file. */
static int request(const sigset_t *original_mask) {
  char kind;
  if (!read_exact(&kind, 1)) return 0;
  if (kind == 'L') {
    unsigned char header[4];
    if (!read_exact((char *)header, 4)) return 0;
    uint32_t length = (uint32_t)header[0] | (uint32_t)header[1] << 8 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 24;
    if (length > MAX_FRAME) return 0;
    char *payload = malloc(length + 1u);
    if (payload == NULL || !read_exact(payload, length)) return free(payload), 0;
    launch(payload, length, original_mask);
    free(payload);
    return 1;
  }
  if (kind == 'R') {
    char id[64];
    if (!read_line(id, sizeof id)) return 0;
    release(id);
    return 1;
  }
  if (kind == 'W') {
    char line[256];
    if (!read_line(line, sizeof line)) return 0;
    who(line);
    return 1;
  }
  return 0; /* Not thaw speaking: stop. */
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: thaw-spawner THAW_EXEC\n");
    return EXIT_HELPER;
  }
  thaw_exec = argv[1];
  spawner = getpid();
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) return EXIT_HELPER;
  /* Orphans of the sandboxes come here rather than to the machine's init: a clone restored by
   * `criu restore -d` (whose parent, criu, exits) is reaped and reported like any child. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) return EXIT_HELPER;
  signal(SIGPIPE, SIG_IGN);

  sigset_t chld, original;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &original);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return EXIT_HELPER;

  for (int i = 0; i < MAX_LISTENERS; i++) listeners[i].fd = -1;
  for (int i = 0; i < MAX_CONNECTIONS; i++) connections[i].inside = connections[i].outside = -1;
  static struct pollfd fds[2 + MAX_LISTENERS + 2 * MAX_CONNECTIONS];
  static int owner[2 + MAX_LISTENERS + 2 * MAX_CONNECTIONS];
  for (;;) {
    /* stdin and the signals, then the listeners, then both sides of every connection. */
    nfds_t count = 0;
    fds[count++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    fds[count++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (int i = 0; i < MAX_LISTENERS; i++) {
      if (listeners[i].fd < 0) continue;
      owner[count] = i;
      fds[count++] = (struct pollfd){.fd = listeners[i].fd, .events = POLLIN};
    }
    nfds_t first_connection = count;
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
      struct connection *c = &connections[i];
      if (c->inside < 0) continue;
      short in_events = 0, out_events = 0;
      if (c->up.len == 0 && !c->up.eof) in_events |= POLLIN;
      if (c->down.len > 0) in_events |= POLLOUT;
      if (!c->connected) {
        out_events |= POLLOUT;
      } else {
        if (c->down.len == 0 && !c->down.eof) out_events |= POLLIN;
        if (c->up.len > 0) out_events |= POLLOUT;
      }
      owner[count] = i;
      fds[count++] = (struct pollfd){.fd = c->inside, .events = in_events};
      owner[count] = i;
      fds[count++] = (struct pollfd){.fd = c->outside, .events = out_events};
    }
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      return EXIT_HELPER;
    }
    for (nfds_t k = first_connection; k + 1 < count; k += 2) {
      struct connection *c = &connections[owner[k]];
      short in = fds[k].revents, out = fds[k + 1].revents;
      if (!c->connected && (out & (POLLOUT | POLLERR | POLLHUP))) {
        int error = 0;
        socklen_t size = sizeof error;
        if (getsockopt(c->outside, SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error != 0) {
          close_connection(c);
          continue;
        }
        c->connected = 1;
        out &= (short)~POLLOUT;
      }
      if (!c->connected) {
        /* Only read ahead from inside until the outside is connected. */
        if (!relay(c->inside, c->outside, &c->up, in, 0)) {
          close_connection(c);
          continue;
        }
      } else if (!relay(c->inside, c->outside, &c->up, in, out) || !relay(c->outside, c->inside, &c->down, out, in)) {
        close_connection(c);
        continue;
      }
      if (c->up.eof == 2 && c->down.eof == 2) close_connection(c);
    }
    for (nfds_t k = 2; k < first_connection; k++) {
      if (fds[k].revents & POLLIN) accept_connection(&listeners[owner[k]]);
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == sizeof info) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!request(&original)) break;
      reap();
    }
  }
  /* thaw closed stdin: its Runtimes die with us (PR_SET_PDEATHSIG in thaw-exec). */
  return 0;
}
