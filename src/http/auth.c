/*
 * http/auth.c — owns the write endpoints' token rule: "Authorization: Bearer TOKEN" compared
 * with the configured token in constant time (no early exit, so response timing does not leak
 * how much of a guess was right); without a configured token every write is refused.
 */
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "http/http_impl.h"

bool vx__token_equal(const char *expected, const char *given)
{
    size_t n = strlen(expected), m = strlen(given);
    /* volatile: the compiler must not turn the loop into an early-exit comparison. */
    volatile unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++) {
        unsigned char g = i < m ? (unsigned char)given[i] : 0;
        diff = (unsigned char)(diff | ((unsigned char)expected[i] ^ g));
    }
    return diff == 0;
}

/* The credentials of "Bearer TOKEN" (scheme in any case, blanks around), or NULL. */
static const char *bearer(const char *header, char *out, size_t cap)
{
    if (!header)
        return NULL;
    header += strspn(header, " \t");
    if (strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
        return NULL;
    header += 6 + strspn(header + 6, " \t");
    size_t n = strlen(header);
    while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= cap)
        return NULL;
    memcpy(out, header, n);
    out[n] = '\0';
    return out;
}

unsigned vx__http_authorize(const vx__http_env *env, const vx__http_req *req)
{
    char given[512];
    if (!env->token)
        return MHD_HTTP_FORBIDDEN;
    const char *token = bearer(req->authorization, given, sizeof given);
    if (!token || !vx__token_equal(env->token, token))
        return MHD_HTTP_UNAUTHORIZED;
    return 0;
}
