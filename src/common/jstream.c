/* common/jstream.c — owns the JSON cursor that reads a document one value at a time (see
 * jstream.h). */
#include "common/jstream.h"

#include <stdio.h>
#include <string.h>

#include "voxdns/status.h"

/* Any value (the cursor has already checked where one may stand), duplicate keys refused, and
 * stop after the value instead of asking for the end of the text. */
#define DECODE_FLAGS (JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES)

/* JSON's white space (RFC 8259), which is also jansson's. */
static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int vx__js_peek(vx__jstream *js)
{
    while (js->pos < js->len && is_space(js->text[js->pos]))
        js->pos++;
    return js->pos < js->len ? (unsigned char)js->text[js->pos] : -1;
}

/* jansson's line and column of a byte offset: lines from 1, the column in characters (UTF-8
 * lead bytes) since the line began. Counted only when there is an error to report. */
static void line_col(const vx__jstream *js, size_t at, int *line, int *col)
{
    *line = 1;
    *col = 0;
    for (size_t i = 0; i < at && i < js->len; i++) {
        unsigned char c = (unsigned char)js->text[i];
        if (c == '\n') {
            (*line)++;
            *col = 0;
        } else if ((c & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static int fail_at(vx__jstream *js, size_t at, const char *why)
{
    if (js->err[0])
        return VX_EMALFORMED;
    int line, col;
    line_col(js, at, &line, &col);
    snprintf(js->err, sizeof js->err, "line %d column %d: %s", line, col, why);
    return VX_EMALFORMED;
}

/* A NUL byte is never JSON text, and jansson skips one that follows a number or a literal
 * without counting it in its position, which would put the cursor off by one: refused first. */
void vx__js_init(vx__jstream *js, const char *text, size_t len)
{
    memset(js, 0, sizeof *js);
    js->text = text;
    js->len = text ? len : 0;
    const char *nul = js->len ? memchr(text, '\0', js->len) : NULL;
    if (nul)
        fail_at(js, (size_t)(nul - text) + 1, "NUL byte in JSON text");
}

int vx__js_fail(vx__jstream *js, const char *why)
{
    vx__js_peek(js);
    return fail_at(js, js->pos, why);
}

/* "WHAT expected near 'c'", worded as jansson words its own. */
static int expected(vx__jstream *js, const char *what)
{
    char why[96];
    int c = vx__js_peek(js);
    if (c < 0)
        snprintf(why, sizeof why, "%s expected near end of file", what);
    else if (c >= 0x20 && c < 0x7f)
        snprintf(why, sizeof why, "%s expected near '%c'", what, c);
    else
        snprintf(why, sizeof why, "%s expected", what);
    return fail_at(js, c < 0 ? js->len : js->pos + 1, why);
}

int vx__js_enter(vx__jstream *js, char open)
{
    if (js->err[0])
        return VX_EMALFORMED;
    if (vx__js_peek(js) != (unsigned char)open)
        return expected(js, open == '{' ? "'{'" : "'['");
    js->pos++;
    return VX_OK;
}

/* Before member or element i: the closing bracket (done), or after the first a comma. */
static int step(vx__jstream *js, size_t i, char close, bool *done)
{
    *done = false;
    if (js->err[0])
        return VX_EMALFORMED;
    int c = vx__js_peek(js);
    if (c == (unsigned char)close) {
        js->pos++;
        *done = true;
        return VX_OK;
    }
    if (i == 0)
        return VX_OK;
    if (c != ',')
        return expected(js, close == '}' ? "'}'" : "']'");
    js->pos++;
    return VX_OK;
}

int vx__js_next_element(vx__jstream *js, size_t i, bool *done)
{
    return step(js, i, ']', done);
}

int vx__js_next_member(vx__jstream *js, size_t i, json_t **key, bool *done)
{
    *key = NULL;
    int rc = step(js, i, '}', done);
    if (rc != VX_OK || *done)
        return rc;
    if (vx__js_peek(js) != '"')
        return expected(js, "string or '}'");
    rc = vx__js_value(js, key);
    if (rc == VX_OK && vx__js_peek(js) != ':')
        rc = expected(js, "':'");
    if (rc != VX_OK) {
        json_decref(*key);
        *key = NULL;
        return rc;
    }
    js->pos++;
    return VX_OK;
}

int vx__js_value(vx__jstream *js, json_t **out)
{
    *out = NULL;
    if (js->err[0])
        return VX_EMALFORMED;
    json_error_t e;
    size_t start = js->pos;
    *out = json_loadb(js->text + start, js->len - start, DECODE_FLAGS, &e);
    if (!*out && json_error_code(&e) == json_error_out_of_memory)
        return VX_ENOMEM;
    if (!*out)
        return fail_at(js, start + (size_t)(e.position > 0 ? e.position : 0), e.text);
    js->pos = start + (size_t)e.position;
    return VX_OK;
}

size_t vx__js_count_elements(const vx__jstream *js)
{
    size_t i = js->pos, depth = 0, commas = 0;
    bool any = false, in_string = false;
    while (i < js->len && is_space(js->text[i]))
        i++;
    if (i >= js->len || js->text[i] != '[')
        return 0;
    for (; i < js->len; i++) {
        char c = js->text[i];
        if (in_string) {
            i += c == '\\'; /* the escaped character cannot end the string */
            in_string = c != '"';
            continue;
        }
        any = any || (depth == 1 && !is_space(c) && c != ']');
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && --depth == 0)
            break;
        else if (c == ',' && depth == 1)
            commas++;
    }
    return any ? commas + 1 : 0;
}

int vx__js_end(vx__jstream *js)
{
    if (js->err[0])
        return VX_EMALFORMED;
    return vx__js_peek(js) < 0 ? VX_OK : expected(js, "end of file");
}
