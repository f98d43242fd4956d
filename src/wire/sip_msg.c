/*
 * wire/sip_msg.c — owns building SIP OPTIONS requests and the bounds-checked reading of SIP
 * responses (see sip_msg.h). Every read goes through a cursor over [buf, buf+len); fields are
 * copied truncated into fixed buffers, so nothing here allocates.
 */
#include "wire/sip_msg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "voxdns/status.h"
#include "wire/addr.h"

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct cursor {
    const char *buf;
    size_t len, pos;
} cursor;

/* The next line (without its CR LF or LF); VX__SIP_MORE when no line end is in the buffer, and
 * VX_EMALFORMED for a NUL or a bare CR inside it. */
static int next_line(cursor *c, span *line)
{
    const char *start = c->buf + c->pos;
    size_t left = c->len - c->pos;
    const char *lf = memchr(start, '\n', left);
    if (!lf)
        return VX__SIP_MORE;
    size_t n = (size_t)(lf - start);
    c->pos += n + 1;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    if (memchr(start, '\0', n) || memchr(start, '\r', n))
        return VX_EMALFORMED;
    *line = (span){start, n};
    return VX_OK;
}

static span trim(span s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static void copy_field(span s, char *out, size_t cap)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(out, s.p, n);
    out[n] = '\0';
}

static bool span_is(span s, const char *word)
{
    return s.n == strlen(word) && strncasecmp(s.p, word, s.n) == 0;
}

/* An unsigned decimal of at most 9 digits filling the whole span. */
static int span_uint(span s, size_t *out)
{
    size_t v = 0;
    if (s.n == 0 || s.n > 9)
        return VX_EMALFORMED;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return VX_EMALFORMED;
        v = v * 10 + (size_t)(s.p[i] - '0');
    }
    *out = v;
    return VX_OK;
}

/* "SIP/2.0 200 OK" (the reason may be empty). */
static int status_line(span line, vx__sip_response *out)
{
    static const char version[] = "SIP/2.0 ";
    size_t vlen = sizeof version - 1;
    if (line.n < vlen + 3 || strncasecmp(line.p, version, vlen) != 0)
        return VX_EMALFORMED;
    size_t code;
    if (span_uint((span){line.p + vlen, 3}, &code) != VX_OK || code < 100 || code > 699)
        return VX_EMALFORMED;
    if (line.n > vlen + 3 && line.p[vlen + 3] != ' ')
        return VX_EMALFORMED;
    out->status = (unsigned)code;
    size_t rest = line.n > vlen + 4 ? vlen + 4 : line.n;
    copy_field((span){line.p + rest, line.n - rest}, out->reason, sizeof out->reason);
    return VX_OK;
}

/* ;branch=VALUE in the first Via value (up to the first comma). */
static void via_branch(span v, vx__sip_response *out)
{
    const char *comma = memchr(v.p, ',', v.n);
    size_t n = comma ? (size_t)(comma - v.p) : v.n;
    static const char key[] = "branch=";
    for (size_t i = 0; i < n; i++) {
        if (v.p[i] != ';')
            continue;
        span p = trim((span){v.p + i + 1, n - i - 1});
        if (p.n <= sizeof key - 1 || strncasecmp(p.p, key, sizeof key - 1) != 0)
            continue;
        size_t k = sizeof key - 1, end = k;
        while (end < p.n && p.p[end] != ';' && p.p[end] != ' ' && p.p[end] != '\t')
            end++;
        copy_field((span){p.p + k, end - k}, out->branch, sizeof out->branch);
        return;
    }
}

static int cseq_field(span v, vx__sip_response *out)
{
    const char *sp = memchr(v.p, ' ', v.n);
    size_t num;
    if (!sp || span_uint((span){v.p, (size_t)(sp - v.p)}, &num) != VX_OK || num > UINT32_MAX)
        return VX_EMALFORMED;
    out->cseq = (uint32_t)num;
    copy_field(trim((span){sp + 1, v.n - (size_t)(sp + 1 - v.p)}), out->cseq_method,
               sizeof out->cseq_method);
    return VX_OK;
}

typedef struct seen {
    bool via, length, server;
} seen;

static int header(span line, vx__sip_response *out, seen *s)
{
    const char *colon = memchr(line.p, ':', line.n);
    if (!colon)
        return VX_EMALFORMED;
    span name = trim((span){line.p, (size_t)(colon - line.p)});
    span value = trim((span){colon + 1, line.n - (size_t)(colon + 1 - line.p)});
    if (name.n == 0)
        return VX_EMALFORMED;
    if ((span_is(name, "via") || span_is(name, "v")) && !s->via) {
        s->via = true;
        via_branch(value, out);
    } else if (span_is(name, "call-id") || span_is(name, "i")) {
        copy_field(value, out->call_id, sizeof out->call_id);
    } else if (span_is(name, "cseq")) {
        return cseq_field(value, out);
    } else if (span_is(name, "content-length") || span_is(name, "l")) {
        s->length = true;
        if (span_uint(value, &out->content_length) != VX_OK ||
            out->content_length > VX__SIP_MSG_MAX)
            return VX_EMALFORMED;
    } else if (span_is(name, "server") || (span_is(name, "user-agent") && !s->server)) {
        s->server = span_is(name, "server");
        copy_field(value, out->server, sizeof out->server);
    }
    return VX_OK;
}

/* Header lines up to the empty one; continuation lines (leading SP/HT) belong to a header
 * whose value is not kept beyond its first line. */
static int headers(cursor *c, vx__sip_response *out, seen *s)
{
    for (;;) {
        span line;
        int rc = next_line(c, &line);
        if (rc != VX_OK)
            return rc;
        if (line.n == 0)
            return VX_OK;
        if (line.p[0] == ' ' || line.p[0] == '\t')
            continue;
        if ((rc = header(line, out, s)) != VX_OK)
            return rc;
    }
}

int vx__sip_response_parse(const uint8_t *buf, size_t len, bool stream, vx__sip_response *out)
{
    if (!buf || !out)
        return VX_EINVAL;
    memset(out, 0, sizeof *out);
    cursor c = {(const char *)buf, len > VX__SIP_MSG_MAX ? VX__SIP_MSG_MAX : len, 0};
    seen s = {0};
    span line;
    int rc = next_line(&c, &line);
    if (rc == VX_OK)
        rc = status_line(line, out);
    if (rc == VX_OK)
        rc = headers(&c, out, &s);
    if (rc == VX__SIP_MORE && (!stream || len >= VX__SIP_MSG_MAX))
        rc = VX_EMALFORMED;
    if (rc != VX_OK)
        return rc;
    if (stream && !s.length)
        return VX_EMALFORMED;
    if (c.pos + out->content_length > len)
        return stream ? VX__SIP_MORE : VX_EMALFORMED;
    out->length = c.pos + out->content_length;
    return VX_OK;
}

size_t vx__sip_options_build(const vx__sip_options_req *req, char *out, size_t cap)
{
    char local[VX__ADDR_TEXT_MAX];
    if (!req || !out || !req->transport || !req->request_uri || !req->local || !req->branch ||
        !req->call_id || !req->tag ||
        vx__addr_format_port(req->local, local, sizeof local) != VX_OK)
        return 0;
    int n = snprintf(out, cap,
                     "OPTIONS %s SIP/2.0\r\n"
                     "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:voxdns@%s>;tag=%s\r\n"
                     "To: <%s>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %u OPTIONS\r\n"
                     "Contact: <sip:voxdns@%s>\r\n"
                     "Accept: application/sdp\r\n"
                     "User-Agent: voxdns\r\n"
                     "Content-Length: 0\r\n\r\n",
                     req->request_uri, req->transport, local, req->branch, local, req->tag,
                     req->request_uri, req->call_id, req->cseq, local);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool vx__sip_response_matches(const vx__sip_response *resp, const vx__sip_options_req *req)
{
    return resp && req && strcmp(resp->branch, req->branch) == 0 &&
           strcmp(resp->call_id, req->call_id) == 0 && resp->cseq == req->cseq &&
           strcasecmp(resp->cseq_method, "OPTIONS") == 0;
}
