/*
 * thaw-exec: the small exec helper thaw spawns instead of a Runtime.
 *
 *   thaw-exec [--cgroup-procs FILE]... [--status-fd FD [--pass-status-fd]] -- PROGRAM [ARGS...]
 *
 * thaw starts it through thaw-spawner (native/thaw-spawner.c), whose child sets PR_SET_PDEATHSIG
 * and checks that thaw-spawner is alive before it execs thaw-exec.
 *
 * Before PROGRAM runs a single instruction of its own, thaw-exec
 *   1. writes its pid into each FILE (a cgroup.procs), so the Runtime starts inside its cgroups
 *      with no window in which it could fork outside them;
 *   2. calls setsid(), so the Runtime and everything it starts form one session and process group
 *      that thaw can signal as a whole;
 *   3. sets PR_SET_PDEATHSIG to SIGKILL, so the Runtime dies with its parent (thaw-spawner), then
 *      checks that its parent is still the one it had on entry, to close the race with its death;
 *   4. clears the signal mask and resets every signal disposition to its default;
 *   5. marks every descriptor above 2 close-on-exec, so nothing but stdio reaches the Runtime;
 *   6. execve()s PROGRAM with the environment it was given (searched on that PATH when PROGRAM
 *      has no slash, as execvp does, but never falling back to /bin/sh).
 *
 * Exec-status pipe: with --status-fd, FD stays open until the execve; the parent reads end-of-file
 * and nothing else when PROGRAM is running, or the failure line below when it is not. This is how
 * libuv and posix_spawn learn that an exec failed. With --pass-status-fd, FD stays open across the
 * execve instead, for a PROGRAM that reports on it in turn: bubblewrap, which runs an inner
 * thaw-exec with the same FD (the namespace backend).
 *
 * On failure it writes one line "thaw-exec: ..." to stderr (and to FD) and exits like a shell:
 *   125  thaw-exec itself failed (usage, cgroup join, setsid, parent already gone)
 *   126  PROGRAM was found but could not be executed (permission, format, ...)
 *   127  PROGRAM was not found
 *
 * Standard C and Linux system calls only. Built by scripts/build-native.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXIT_HELPER 125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND 127

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

static int status_fd = -1;
static int pass_status_fd = 0;

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Writes "thaw-exec: <message>\n" to stderr and the status descriptor, then exits with `code`. */
static void fail(int code, const char *format, ...) {
  char line[PATH_MAX + 256];
  int prefix = snprintf(line, sizeof line, "thaw-exec: ");
  va_list args;
  va_start(args, format);
  int body = vsnprintf(line + prefix, sizeof line - (size_t)prefix - 1, format, args);
  va_end(args);
  size_t len = (size_t)prefix + (body < 0 ? 0 : (size_t)body);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  write_all(STDERR_FILENO, line, len);
  if (status_fd >= 0) write_all(status_fd, line, len);
  _exit(code);
}

/* Parses a non-negative decimal int, or returns -1. */
static long parse_number(const char *text) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0 || value > INT_MAX) return -1;
  return value;
}

static void join_cgroup(const char *procs_file) {
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  int fd = open(procs_file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(EXIT_HELPER, "cannot open %s: %s", procs_file, strerror(errno));
  /* One write: cgroupfs takes the whole pid or rejects it (e.g. EAGAIN at pids.max). */
  if (write(fd, pid, (size_t)len) != len) fail(EXIT_HELPER, "cannot join cgroup %s: %s", procs_file, strerror(errno));
  close(fd);
}

static void reset_signals(void) {
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  /* SIGKILL, SIGSTOP and the C library's reserved real-time signals refuse: that is fine. */
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
}

static void close_extra_fds_on_exec(void) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
  /* Kernels before 5.11: at least the status descriptor must not reach the Runtime. */
  if (status_fd >= 0 && fcntl(status_fd, F_SETFD, FD_CLOEXEC) < 0) fail(EXIT_HELPER, "bad --status-fd: %s", strerror(errno));
}

/* With --pass-status-fd, the status descriptor (and only it) survives the execve. */
static void pass_status_fd_on(void) {
  if (pass_status_fd && status_fd >= 0 && fcntl(status_fd, F_SETFD, 0) < 0) fail(EXIT_HELPER, "bad --status-fd: %s", strerror(errno));
}

/* execve() PROGRAM, searching PATH (from the given environment) when it has no slash. */
static void exec_program(char **argv) {
  const char *program = argv[0];
  if (strchr(program, '/') != NULL) {
    execve(program, argv, environ);
    fail(errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE, "cannot execute %s: %s", program,
         strerror(errno));
  }
  const char *path = getenv("PATH");
  if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
  int denied = 0;
  for (const char *dir = path;; ) {
    const char *end = strchrnul(dir, ':');
    /* An empty PATH entry means the current directory, as in execvp. */
    const char *prefix = end == dir ? "." : dir;
    int prefix_len = end == dir ? 1 : (int)(end - dir);
    char candidate[PATH_MAX];
    int len = snprintf(candidate, sizeof candidate, "%.*s/%s", prefix_len, prefix, program);
    if (len > 0 && (size_t)len < sizeof candidate) {
      execve(candidate, argv, environ);
      if (errno == EACCES) denied = 1;
      else if (errno != ENOENT && errno != ENOTDIR) fail(EXIT_CANNOT_EXECUTE, "cannot execute %s: %s", candidate, strerror(errno));
    }
    if (*end == '\0') break;
    dir = end + 1;
  }
  if (denied) fail(EXIT_CANNOT_EXECUTE, "cannot execute %s: %s", program, strerror(EACCES));
  fail(EXIT_NOT_FOUND, "%s: not found in PATH", program);
}

int main(int argc, char **argv) {
  pid_t entry_parent = getppid();
  int first = -1;
  /* Parse everything first, so a failure to join a cgroup can be reported on --status-fd. */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      first = i + 1;
      break;
    }
    if (strcmp(argv[i], "--pass-status-fd") == 0) {
      pass_status_fd = 1;
      continue;
    }
    if (i + 1 >= argc) fail(EXIT_HELPER, "usage: option %s needs a value", argv[i]);
    if (strcmp(argv[i], "--cgroup-procs") == 0) {
      i++;
    } else if (strcmp(argv[i], "--status-fd") == 0) {
      long fd = parse_number(argv[++i]);
      if (fd < 3) fail(EXIT_HELPER, "usage: --status-fd needs a descriptor above 2, got %s", argv[i]);
      status_fd = (int)fd;
    } else {
      fail(EXIT_HELPER, "usage: thaw-exec [--cgroup-procs FILE]... [--status-fd FD [--pass-status-fd]] -- PROGRAM [ARGS...]; "
                        "unknown option %s", argv[i]);
    }
  }
  if (first < 0 || first >= argc) fail(EXIT_HELPER, "usage: no PROGRAM after --");

  if (pass_status_fd && status_fd < 0) fail(EXIT_HELPER, "usage: --pass-status-fd needs --status-fd");
  for (int i = 1; i < first - 1; i++) {
    if (strcmp(argv[i], "--pass-status-fd") == 0) continue;
    if (strcmp(argv[i], "--cgroup-procs") == 0) join_cgroup(argv[i + 1]);
    i++;
  }

  /* EPERM means we already lead a process group; that is fine if we lead our own session. */
  if (setsid() < 0 && getsid(0) != getpid()) fail(EXIT_HELPER, "setsid: %s", strerror(errno));

  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(EXIT_HELPER, "prctl(PR_SET_PDEATHSIG): %s", strerror(errno));
  /* If the parent died before prctl took effect, we have been re-parented and no signal will come. */
  pid_t parent = getppid();
  if (parent != entry_parent) fail(EXIT_HELPER, "parent process %ld is gone", (long)entry_parent);

  reset_signals();
  close_extra_fds_on_exec();
  pass_status_fd_on();
  exec_program(argv + first);
  return EXIT_HELPER; /* not reached */
}
