/*
 * tests/fuzz/fuzz_jstream.c — libFuzzer target for the JSON cursor (common/jstream.c) that the
 * snapshot reader steps through `voxdns audit --from FILE` and stored snapshots with. The cursor
 * reads the outer two levels itself and hands deeper values to jansson, as the reader does; it
 * aborts unless the cursor accepts exactly the documents a whole-document json_loadb accepts
 * (any root, duplicate keys refused at every level), gives an error whenever it refuses, and
 * counts every array it enters right. One deliberate difference: jansson skips a NUL byte that
 * follows a number or a literal (its lexer's unget of the NUL reads the next byte instead, and
 * its position no longer counts the NUL), so json_loadb takes "[1\0]"; the cursor refuses any
 * NUL byte, as JSON does (this target's first two finds).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jstream.h"
#include "voxdns/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int walk(vx__jstream *js, int depth);

static int walk_object(vx__jstream *js, int depth)
{
    json_t *seen = json_object();
    int rc = seen ? vx__js_enter(js, '{') : VX_ENOMEM;
    bool done = false;
    for (size_t i = 0; rc == VX_OK && !done; i++) {
        json_t *key = NULL;
        rc = vx__js_next_member(js, i, &key, &done);
        if (rc == VX_OK && !done && json_object_get(seen, json_string_value(key)))
            rc = vx__js_fail(js, "duplicate object key");
        else if (rc == VX_OK && !done &&
                 json_object_set_new(seen, json_string_value(key), json_null()) != 0)
            rc = VX_ENOMEM;
        else if (rc == VX_OK && !done)
            rc = walk(js, depth + 1);
        json_decref(key);
    }
    json_decref(seen);
    return rc;
}

static int walk_array(vx__jstream *js, int depth)
{
    size_t counted = vx__js_count_elements(js), n = 0;
    int rc = vx__js_enter(js, '[');
    bool done = false;
    for (size_t i = 0; rc == VX_OK && !done; i++) {
        rc = vx__js_next_element(js, i, &done);
        if (rc == VX_OK && !done && (rc = walk(js, depth + 1)) == VX_OK)
            n++;
    }
    if (rc == VX_OK && n != counted)
        abort(); /* a valid array is counted exactly */
    return rc;
}

static int walk(vx__jstream *js, int depth)
{
    int c = vx__js_peek(js);
    if (depth < 2 && c == '{')
        return walk_object(js, depth);
    if (depth < 2 && c == '[')
        return walk_array(js, depth);
    json_t *v = NULL;
    int rc = vx__js_value(js, &v);
    if ((rc == VX_OK) != (v != NULL))
        abort();
    json_decref(v);
    return rc;
}

/* jansson's own depth limit (2048) applies to what it decodes: two levels fewer under the
 * cursor, so documents near the limit are left out of the comparison. */
static bool deep(const uint8_t *data, size_t size)
{
    size_t open = 0;
    for (size_t i = 0; i < size; i++)
        open += data[i] == '[' || data[i] == '{';
    return open > 2000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vx__jstream js;
    vx__js_init(&js, (const char *)data, size);
    int rc = walk(&js, 0);
    if (rc == VX_OK)
        rc = vx__js_end(&js);
    if (rc == VX_ENOMEM)
        return 0;
    if (rc != VX_OK && js.err[0] == '\0')
        abort(); /* a refusal always says why */
    json_error_t jerr;
    json_t *whole =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    bool agree = (rc == VX_OK) == (whole != NULL);
    if (memchr(data, '\0', size))
        agree = rc != VX_OK; /* jansson's NUL skipping: see the top */
    json_decref(whole);
    if (!agree && !deep(data, size))
        abort();
    return 0;
}
