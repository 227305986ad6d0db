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
 *                                        id, cwd, argc, argv[0..argc), envc, env[0..envc)
 *   request  "R" id "\n"                 release: thaw has opened the pipes of launch `id`
 *   event    "S id pid out err status\n" started: the child runs; out, err and status are
 *                                        this process's descriptors of the read ends of its stdout,
 *                                        stderr and exec-status pipes (thaw opens them through
 *                                        /proc/<pid of thaw-spawner>/fd/ and then releases them)
 *   event    "F id errno\n"              the pipes or the fork failed: nothing was started
 *   event    "X pid code signal\n"       a child was reaped: exit code, or -1 and the signal
 *
 * The child gets /dev/null as stdin, the pipes as 1, 2 and 3, the given working directory and
 * PR_SET_PDEATHSIG, and execve()s THAW_EXEC with argv and env. When it cannot, it writes one line
 * "thaw-spawner: ..." to the status pipe and exits 125, as thaw-exec does for its own failures.
 *
 * thaw-spawner dies with thaw (PR_SET_PDEATHSIG), and every Runtime dies with thaw-spawner
 * (thaw-exec sets the same on them). It exits when its stdin reaches end-of-file.
 *
 * Standard C and Linux system calls only. Built by scripts/build-native.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_HELPER 125
#define MAX_FRAME (64u * 1024u * 1024u)
#define MAX_PENDING 4096

struct pending {
  char id[64];
  int fds[3];
};

static const char *thaw_exec;
static pid_t spawner;
static struct pending pending[MAX_PENDING];

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

/* Splits a launch payload into its strings; returns 0 when it is malformed. */
static int parse_launch(char *payload, size_t length, char **id, char **cwd, char ***argv, char ***envp) {
  char *cursor = payload, *end = payload + length;
  if (length == 0 || end[-1] != '\0') return 0;
  char *fields[3];
  for (int i = 0; i < 3; i++) {
    if (cursor >= end) return 0;
    fields[i] = cursor;
    cursor += strlen(cursor) + 1;
  }
  *id = fields[0];
  *cwd = fields[1];
  long argc = strtol(fields[2], NULL, 10);
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
  char *id, *cwd, **argv, **envp;
  if (!parse_launch(payload, length, &id, &cwd, &argv, &envp)) {
    event("F - %d\n", EINVAL);
    return;
  }
  int slot = -1;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].id[0] == '\0') {
      slot = i;
      break;
    }
  }
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int error = slot < 0 || strlen(id) >= sizeof pending[0].id ? EMFILE : 0;
  for (int i = 0; i < 3 && error == 0; i++) {
    if (pipe2(pipes[i], O_CLOEXEC) < 0) error = errno;
  }
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
    if (chdir(cwd) < 0) child_fail("cannot change to the working directory", cwd);
    execve(thaw_exec, argv, envp);
    child_fail("cannot execute", thaw_exec);
  }
  for (int i = 0; i < 3; i++) {
    if (pipes[i][1] >= 0) close(pipes[i][1]);
  }
  free(argv);
  free(envp);
  if (error != 0) {
    for (int i = 0; i < 3; i++) {
      if (pipes[i][0] >= 0) close(pipes[i][0]);
    }
    event("F %s %d\n", id, error);
    return;
  }
  snprintf(pending[slot].id, sizeof pending[slot].id, "%s", id);
  for (int i = 0; i < 3; i++) pending[slot].fds[i] = pipes[i][0];
  event("S %s %d %d %d %d\n", id, (int)pid, pipes[0][0], pipes[1][0], pipes[2][0]);
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
    if (WIFEXITED(status)) event("X %d %d 0\n", (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) event("X %d -1 %d\n", (int)pid, WTERMSIG(status));
  }
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
    size_t len = 0;
    for (;;) {
      char c;
      if (!read_exact(&c, 1)) return 0;
      if (c == '\n') break;
      if (len + 1 < sizeof id) id[len++] = c;
    }
    id[len] = '\0';
    release(id);
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
  signal(SIGPIPE, SIG_IGN);

  sigset_t chld, original;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &original);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return EXIT_HELPER;

  struct pollfd fds[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return EXIT_HELPER;
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
