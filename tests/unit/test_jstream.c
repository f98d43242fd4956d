/*
 * tests/unit/test_jstream.c — common/jstream: stepping through objects and arrays with each
 * value decoded on its own; the cursor accepts and refuses the same documents as a
 * whole-document json_loadb (duplicate keys included); its errors carry jansson's line and
 * column; element counting without decoding; a NUL byte refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/jstream.h"
#include "voxdns/status.h"

static int walk(vx__jstream *js, int depth);

/* Members: keys seen are kept to refuse duplicates, as the cursor's users do. */
static int walk_object(vx__jstream *js, int depth)
{
    json_t *seen = json_object();
    int rc = vx__js_enter(js, '{');
    bool done = false;
    for (size_t i = 0; rc == VX_OK && !done; i++) {
        json_t *key = NULL;
        rc = vx__js_next_member(js, i, &key, &done);
        if (rc == VX_OK && !done && json_object_get(seen, json_string_value(key)))
            rc = vx__js_fail(js, "duplicate object key");
        if (rc == VX_OK && !done)
            rc = json_object_set_new(seen, json_string_value(key), json_null()) == 0
                     ? walk(js, depth + 1)
                     : VX_ENOMEM;
        json_decref(key);
    }
    json_decref(seen);
    return rc;
}

static int walk_array(vx__jstream *js, int depth)
{
    int rc = vx__js_enter(js, '[');
    bool done = false;
    for (size_t i = 0; rc == VX_OK && !done; i++) {
        rc = vx__js_next_element(js, i, &done);
        if (rc == VX_OK && !done)
            rc = walk(js, depth + 1);
    }
    return rc;
}

/* Steps through two levels itself and decodes what lies deeper, as the snapshot reader does. */
static int walk(vx__jstream *js, int depth)
{
    int c = vx__js_peek(js);
    if (depth < 2 && c == '{')
        return walk_object(js, depth);
    if (depth < 2 && c == '[')
        return walk_array(js, depth);
    json_t *v = NULL;
    int rc = vx__js_value(js, &v);
    json_decref(v);
    return rc;
}

static int walk_text(const char *text, char *err, size_t cap)
{
    vx__jstream js;
    vx__js_init(&js, text, strlen(text));
    int rc = walk(&js, 0);
    if (rc == VX_OK)
        rc = vx__js_end(&js);
    snprintf(err, cap, "%s", js.err);
    return rc;
}

static const char *const docs[] = {
    "{}",
    "[]",
    " {\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": \"x\"}} ",
    "[1, -2.5e3, \"s\\\"t\", {\"k\": [[]]}, []]",
    "{\"a\\u0062\": 1}",
    "{\"a\": {\"b\": {\"c\": {\"d\": [1, 2, {\"e\": 3}]}}}}",
    "\"just a string\"",
    "12",
    "",
    "   ",
    "{",
    "[",
    "{\"a\" 1}",
    "{\"a\": 1,}",
    "[1, 2,]",
    "[1 2]",
    "{\"a\": 1} x",
    "{\"a\": 1, \"a\": 2}",
    "{\"a\": {\"b\": 1, \"b\": 2}}",
    "{\"a\": [1, 2}",
    "{1: 2}",
    "{\"a\": tru}",
    "[\"\\u0000\"]",
    "[\"a\xff\"]",
    "{\"a\":\n [1,\n  2,\n  x]}",
    "[{}, {\"x\": \"\xc3\xa9\", \"y\" 2}]",
    "{\"a\": 1}\n\n",
    "[1]]",
    NULL,
};

/* Whatever the walk accepts, json_loadb accepts, and the other way round. */
static void test_same_documents_as_json_loadb(void **state)
{
    (void)state;
    for (size_t i = 0; docs[i]; i++) {
        char err[200];
        json_error_t jerr;
        json_t *whole = json_loads(docs[i], JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        int rc = walk_text(docs[i], err, sizeof err);
        if ((rc == VX_OK) != (whole != NULL))
            fail_msg("'%s': cursor %s (%s), json_loadb %s (%s)", docs[i],
                     rc == VX_OK ? "accepts" : "refuses", err, whole ? "accepts" : "refuses",
                     whole ? "" : jerr.text);
        json_decref(whole);
    }
}

/* An error inside a decoded value reads exactly as jansson's for the whole document; one in the
 * cursor's own punctuation at least names jansson's line. */
static void expect_error(const char *text, bool exact)
{
    char err[200], want[256];
    json_error_t jerr;
    assert_int_equal(walk_text(text, err, sizeof err), VX_EMALFORMED);
    assert_null(json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr));
    snprintf(want, sizeof want, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    if (exact && strcmp(err, want) != 0)
        fail_msg("'%s' gives '%s', jansson '%s'", text, err, want);
    snprintf(want, sizeof want, "line %d ", jerr.line);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("'%s' gives '%s', jansson line %d", text, err, jerr.line);
}

static void test_errors_where_jansson_says(void **state)
{
    (void)state;
    expect_error("{\"a\":\n [1,\n  2,\n  x]}", true);
    expect_error("[{}, {\"x\": \"\xc3\xa9\", \"y\": {\"z\" 2}}]", true);
    expect_error("{\"a\": {\"c\": {\"b\": 1, \"b\": 2}}}", true);
    expect_error("{\"a\": {\"b\": 1, \"b\": 2}}", false);
    expect_error("{\n\n \"a\": 1,\n \"b\" 2}", false);
    expect_error("[1,\n 2\n 3]", false);
    expect_error("{\"a\": 1}\n x", false);
}

static void test_values_and_positions(void **state)
{
    (void)state;
    const char *text = "{\"obs\": [{\"n\": 1}, {\"n\": 2}], \"k\": \"v\"}";
    vx__jstream js;
    vx__js_init(&js, text, strlen(text));
    json_t *key = NULL, *v = NULL;
    bool done = true;
    assert_int_equal(vx__js_enter(&js, '{'), VX_OK);
    assert_int_equal(vx__js_next_member(&js, 0, &key, &done), VX_OK);
    assert_false(done);
    assert_string_equal(json_string_value(key), "obs");
    json_decref(key);
    assert_int_equal(vx__js_count_elements(&js), 2);
    assert_int_equal(vx__js_enter(&js, '['), VX_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(vx__js_next_element(&js, i, &done), VX_OK);
        assert_int_equal(vx__js_value(&js, &v), VX_OK);
        assert_int_equal(json_integer_value(json_object_get(v, "n")), (json_int_t)i + 1);
        json_decref(v);
    }
    assert_int_equal(vx__js_next_element(&js, 2, &done), VX_OK);
    assert_true(done);
    assert_int_equal(vx__js_next_member(&js, 1, &key, &done), VX_OK);
    assert_string_equal(json_string_value(key), "k");
    json_decref(key);
    assert_int_equal(vx__js_value(&js, &v), VX_OK);
    assert_string_equal(json_string_value(v), "v");
    json_decref(v);
    assert_int_equal(vx__js_next_member(&js, 2, &key, &done), VX_OK);
    assert_true(done);
    assert_int_equal(vx__js_end(&js), VX_OK);
}

static size_t count_of(const char *text)
{
    vx__jstream js;
    vx__js_init(&js, text, strlen(text));
    return vx__js_count_elements(&js);
}

static void test_count_elements(void **state)
{
    (void)state;
    assert_int_equal(count_of("[]"), 0);
    assert_int_equal(count_of(" [ \n ] "), 0);
    assert_int_equal(count_of("[1]"), 1);
    assert_int_equal(count_of("[[1, 2], {\"a\": \"x,]\"}, \"\\\",[\", 4]"), 4);
    assert_int_equal(count_of("[{\"a\": [1, 2, 3]}, {}]"), 2);
    assert_int_equal(count_of("{\"a\": 1}"), 0); /* not an array */
    assert_int_equal(count_of("[1, 2"), 2);      /* truncated: a guess, the read refuses it */
}

/* A failed cursor stays failed: its first error is the one reported. */
static void test_first_error_sticks(void **state)
{
    (void)state;
    vx__jstream js;
    vx__js_init(&js, "[x, 1]", 6);
    json_t *v = NULL;
    bool done;
    assert_int_equal(vx__js_enter(&js, '['), VX_OK);
    assert_int_equal(vx__js_next_element(&js, 0, &done), VX_OK);
    assert_int_equal(vx__js_value(&js, &v), VX_EMALFORMED);
    assert_null(v);
    char first[sizeof js.err];
    memcpy(first, js.err, sizeof first);
    assert_int_equal(vx__js_next_element(&js, 1, &done), VX_EMALFORMED);
    assert_int_equal(vx__js_end(&js), VX_EMALFORMED);
    assert_string_equal(js.err, first);
    assert_non_null(strstr(first, "line 1 column 2"));
}

/* jansson would skip this NUL (after a number) and lose count of its position; never JSON. */
static void test_nul_refused(void **state)
{
    (void)state;
    static const char text[] = "{\"a\": [[1\0, 2]]}";
    vx__jstream js;
    vx__js_init(&js, text, sizeof text - 1);
    assert_int_equal(walk(&js, 0), VX_EMALFORMED);
    assert_string_equal(js.err, "line 1 column 10: NUL byte in JSON text");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_documents_as_json_loadb),
        cmocka_unit_test(test_errors_where_jansson_says),
        cmocka_unit_test(test_values_and_positions),
        cmocka_unit_test(test_count_elements),
        cmocka_unit_test(test_first_error_sticks),
        cmocka_unit_test(test_nul_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
