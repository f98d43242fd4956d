/*
 * common/jstream.h — reading a JSON document held in memory one value at a time. The cursor
 * steps through the punctuation of objects and arrays itself and hands each value it is asked
 * for to jansson, so that a reader can turn a large document into its own structures piece by
 * piece and hold one piece's JSON tree at a time: a whole-document json_loadb holds about six
 * times the text. Every byte still goes through jansson's lexer or the cursor's few rules
 * (white space, ',', ':', brackets), so the cursor accepts the documents json_loadb accepts,
 * and its errors read like jansson's ("line 3 column 7: ..."), but for a NUL byte anywhere,
 * which it refuses (jansson lets one pass after a number). Duplicate keys inside a decoded
 * value are refused by jansson; among the members the cursor steps through, the caller refuses
 * them (it knows which keys it has seen).
 *
 * Use: vx__js_enter(js, '{') (or '['), then vx__js_next_member (or vx__js_next_element) with
 * i = 0, 1, ... until *done, reading each member's value with vx__js_value, vx__js_skip or a
 * nested enter; vx__js_end once the root is read. Every call returns VX_OK or VX_EMALFORMED
 * (err then says why; the cursor stays failed) or VX_ENOMEM. The text is borrowed.
 */
#ifndef VX_COMMON_JSTREAM_H
#define VX_COMMON_JSTREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct vx__jstream {
    const char *text;
    size_t len;
    size_t pos;
    char err[200]; /* "line L column C: reason" after the first syntax error */
} vx__jstream;

void vx__js_init(vx__jstream *js, const char *text, size_t len);

/* The next character that is not white space, not consumed; -1 at the end of the text. */
int vx__js_peek(vx__jstream *js);

/* Consumes open ('{' or '['), which must come next. */
int vx__js_enter(vx__jstream *js, char open);

/* Moves to member i of the object entered: *done when its '}' came instead (consumed), else
 * *key is the member's key (a new reference to a JSON string) and the cursor stands at its
 * value, which the caller must read before asking for member i + 1. */
int vx__js_next_member(vx__jstream *js, size_t i, json_t **key, bool *done);

/* The same for element i of the array entered. */
int vx__js_next_element(vx__jstream *js, size_t i, bool *done);

/* Decodes the value at the cursor (any JSON value) into *out, a new reference. */
int vx__js_value(vx__jstream *js, json_t **out);

/* How many elements the array at the cursor (its '[' next) has, counted without decoding
 * them, so a reader can refuse too many before reading any; the cursor does not move. For
 * text that is not valid JSON the count is a guess: the syntax error is found when reading. */
size_t vx__js_count_elements(const vx__jstream *js);

/* Only white space is left after the root value. */
int vx__js_end(vx__jstream *js);

/* Sets err for a problem found at the cursor ("line L column C: why"); VX_EMALFORMED. */
int vx__js_fail(vx__jstream *js, const char *why);

#endif
