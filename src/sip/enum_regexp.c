/*
 * sip/enum_regexp.c — owns the RFC 3402 substitution expression of a NAPTR regexp field:
 * splitting "delim ere delim repl delim flags", the limits that keep regcomp cheap on hostile
 * input, matching through POSIX regcomp/regexec, and building the result with \1..\9.
 */
#include "sip/enum.h"

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxdns/status.h"

#define MAX_REPEAT_COST 64
#define MAX_GROUPS 10 /* \0 (whole match) and \1..\9 */

/* The expression split up: ere ready for regcomp, repl still holding its escapes. */
typedef struct subst {
    char ere[VX__ENUM_REGEXP_MAX + 1];
    char repl[VX__ENUM_REGEXP_MAX + 1];
    bool icase;
} subst;

static int fail(char *err, size_t cap, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t cap, int status, const char *fmt, ...)
{
    if (err && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* Copies s up to the first unescaped delim into out, turning "\<delim>" into delim and keeping
 * every other escape as it is. Returns the length consumed (without the closing delim), or -1
 * when there is no closing delimiter. */
static long take_part(const char *s, char delim, char *out)
{
    size_t i = 0, o = 0;
    for (; s[i] && s[i] != delim; i++) {
        if (s[i] == '\\' && s[i + 1] == delim) {
            out[o++] = delim;
            i++;
        } else if (s[i] == '\\' && s[i + 1]) {
            out[o++] = s[i++];
            out[o++] = s[i];
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return s[i] == delim ? (long)i : -1;
}

static int split(const char *re, subst *sx, char *err, size_t cap)
{
    char delim = re[0];
    if (delim == '\0' || (delim >= '0' && delim <= '9') || delim == '\\' || delim == 'i' ||
        delim <= 0x20 || delim >= 0x7f)
        return fail(err, cap, VX_EINVAL, "invalid delimiter");
    long a = take_part(re + 1, delim, sx->ere);
    if (a < 0)
        return fail(err, cap, VX_EINVAL, "no delimiter after the expression");
    const char *rest = re + 1 + a + 1;
    long b = take_part(rest, delim, sx->repl);
    if (b < 0)
        return fail(err, cap, VX_EINVAL, "no closing delimiter after the replacement");
    const char *flags = rest + b + 1;
    if (strcmp(flags, "") != 0 && strcmp(flags, "i") != 0)
        return fail(err, cap, VX_EINVAL, "unknown flags '%s' (only 'i')", flags);
    sx->icase = flags[0] == 'i';
    return VX_OK;
}

/* The largest bound of "{m}", "{m,}", "{m,n}" after s[0] == '{' (capped at UINT16_MAX), and
 * in *len how many characters the interval takes. 0 with *len 1 when it is not an interval. */
static unsigned long interval_bound(const char *s, size_t *len)
{
    unsigned long most = 0;
    size_t i = 1;
    *len = 1;
    while (s[i] == ',' || (s[i] >= '0' && s[i] <= '9')) {
        unsigned long v = 0;
        for (; s[i] >= '0' && s[i] <= '9'; i++)
            v = v < UINT16_MAX ? v * 10 + (unsigned long)(s[i] - '0') : UINT16_MAX;
        most = v > most ? v : most;
        if (s[i] == ',')
            i++;
    }
    if (s[i] != '}')
        return 0;
    *len = i + 1;
    return most;
}

/* Length of the bracket expression at s[0] == '[' up to its ']' ("[]a]", "[^]a]" and
 * "[[:digit:]]" included), or the rest of the string when unclosed (regcomp refuses it). */
static size_t bracket_len(const char *s)
{
    size_t i = 1;
    if (s[i] == '^')
        i++;
    if (s[i] == ']')
        i++;
    for (; s[i] && s[i] != ']'; i++) {
        if (s[i] == '[' && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
            const char *close = strchr(s + i + 2, s[i + 1]);
            if (!close || close[1] != ']')
                return strlen(s);
            i = (size_t)(close - s) + 1;
        }
    }
    return s[i] ? i + 1 : i;
}

/* glibc's regcomp copies the operand of '+' and of an interval once per repetition, so
 * nested repetitions multiply: "((a+)+)+" doubles at every level. The product of the copies
 * every repetition asks for is bounded, which bounds regcomp's memory and time. */
static int check_ere(const char *ere, char *err, size_t cap)
{
    unsigned long cost = 1;
    bool after_repeat = false;
    if (ere[0] == '\0')
        return fail(err, cap, VX_EINVAL, "empty expression");
    for (size_t i = 0, len = 1; ere[i]; i += len) {
        char c = ere[i];
        bool repeat = c == '*' || c == '+' || c == '?' || c == '{';
        len = 1;
        if (c == '\\' && ere[i + 1] >= '0' && ere[i + 1] <= '9')
            return fail(err, cap, VX_EINVAL, "back-reference inside the expression");
        if (c == '\\' && ere[i + 1])
            len = 2;
        else if (c == '[')
            len = bracket_len(ere + i);
        else if (c == '+')
            cost *= 2;
        else if (c == '{')
            cost *= interval_bound(ere + i, &len) + 1;
        if (repeat && after_repeat)
            return fail(err, cap, VX_EINVAL, "adjacent repetition operators");
        if (cost > MAX_REPEAT_COST)
            return fail(err, cap, VX_EINVAL, "repetitions too large");
        after_repeat = repeat;
    }
    return VX_OK;
}

static bool append(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > cap)
        return false;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

/* One replacement token at repl[*i]: a literal, "\\" or \1..\9. */
static int repl_token(const char *repl, size_t *i, const char *aus, const regmatch_t *m,
                      size_t groups, char *out, size_t cap, size_t *len)
{
    const char *p = repl + *i;
    if (*p != '\\')
        return append(out, cap, len, p, 1) ? VX_OK : VX_EINVAL;
    (*i)++;
    if (p[1] == '\\')
        return append(out, cap, len, "\\", 1) ? VX_OK : VX_EINVAL;
    if (p[1] < '1' || p[1] > '9' || (size_t)(p[1] - '0') > groups)
        return VX_EINVAL;
    const regmatch_t *g = &m[p[1] - '0'];
    if (g->rm_so < 0)
        return VX_OK;
    return append(out, cap, len, aus + g->rm_so, (size_t)(g->rm_eo - g->rm_so)) ? VX_OK : VX_EINVAL;
}

static int build(const subst *sx, const char *aus, const regmatch_t *m, size_t groups, char *out,
                 size_t cap, char *err, size_t errcap)
{
    size_t len = 0;
    if (cap == 0)
        return fail(err, errcap, VX_EINVAL, "no room for the result");
    out[0] = '\0';
    for (size_t i = 0; sx->repl[i]; i++)
        if (repl_token(sx->repl, &i, aus, m, groups, out, cap, &len) != VX_OK)
            return fail(err, errcap, VX_EINVAL, "bad escape, unknown group or result too long");
    return VX_OK;
}

int vx__enum_regexp_apply(const char *regexp, const char *aus, char *out, size_t cap, char *err,
                          size_t errcap)
{
    subst sx;
    regex_t re;
    regmatch_t m[MAX_GROUPS];
    if (!regexp || !aus || !out)
        return fail(err, errcap, VX_EINVAL, "missing argument");
    if (strlen(regexp) > VX__ENUM_REGEXP_MAX)
        return fail(err, errcap, VX_EINVAL, "regexp longer than %d", VX__ENUM_REGEXP_MAX);
    int rc = split(regexp, &sx, err, errcap);
    if (rc == VX_OK)
        rc = check_ere(sx.ere, err, errcap);
    if (rc != VX_OK)
        return rc;
    if (regcomp(&re, sx.ere, REG_EXTENDED | (sx.icase ? REG_ICASE : 0)) != 0)
        return fail(err, errcap, VX_EINVAL, "invalid regular expression '%s'", sx.ere);
    size_t groups = re.re_nsub;
    if (regexec(&re, aus, MAX_GROUPS, m, 0) != 0) {
        regfree(&re);
        return fail(err, errcap, VX_ENOTFOUND, "expression does not match");
    }
    regfree(&re);
    return build(&sx, aus, m, groups, out, cap, err, errcap);
}
