/*
 * monitor/log.c — the daemon's levelled logger (alert.h): "voxdns[PID]: LEVEL: message" lines on
 * stderr. When stderr is journald's stream each line starts with the syslog priority ("<4>"),
 * which journald strips and keeps as the entry's level, so `journalctl -p warning` works.
 * Libraries never log; only the monitor daemon and its alert sinks call this.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/alert.h"
#include "voxdns/status.h"

#define LOG_LINE_MAX 2048

/* Atomic: the alert thread logs while the main thread may reload the configuration. */
static atomic_int log_threshold = VX__LOG_INFO;

static const char *const level_names[] = {"debug", "info", "notice", "warning", "error"};
/* syslog(3) priorities: LOG_DEBUG 7 ... LOG_ERR 3. */
static const int level_priority[] = {7, 6, 5, 4, 3};

void vx__log_set_level(vx__log_level level)
{
    if ((unsigned)level <= VX__LOG_ERROR)
        atomic_store(&log_threshold, (int)level);
}

int vx__log_level_from_name(const char *name, vx__log_level *out)
{
    for (int i = 0; name && i <= VX__LOG_ERROR; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            if (out)
                *out = (vx__log_level)i;
            return VX_OK;
        }
    }
    return VX_EINVAL;
}

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected; a child whose stderr
 * was redirected elsewhere inherits the variable, so the descriptor itself is compared. */
static bool stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report it */
        buf += n;
        len -= (size_t)n;
    }
}

/* One write per line, so lines from several threads or processes never interleave. */
static void emit_line(vx__log_level level, const char *text, size_t len, bool journal)
{
    char line[LOG_LINE_MAX];
    int head = journal ? snprintf(line, sizeof line, "<%d>", level_priority[level]) : 0;
    int n = snprintf(line + head, sizeof line - (size_t)head, "voxdns[%ld]: %s: %.*s\n",
                     (long)getpid(), level_names[level], (int)len, text);
    if (n < 0)
        return;
    size_t total = (size_t)head + (size_t)n;
    if (total >= sizeof line) { /* truncated: keep the newline */
        total = sizeof line - 1;
        memcpy(line + total - 4, "...\n", 4);
    }
    write_all(line, total);
}

void vx__log(vx__log_level level, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    if ((unsigned)level > VX__LOG_ERROR || (int)level < atomic_load(&log_threshold))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bool journal = stderr_is_journal();
    /* A message with newlines becomes several lines, each with the prefix and level. */
    const char *p = msg;
    do {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0 || !nl)
            emit_line(level, p, len, journal);
        p = nl ? nl + 1 : p + len;
    } while (*p);
}
