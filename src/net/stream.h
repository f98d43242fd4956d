/*
 * net/stream.h — a DNS exchange over TCP that answers with a stream of messages: one query
 * sent with its length prefix, each length-prefixed response message handed to on_msg as it
 * arrives, until on_msg says the stream is complete, refuses it, or the timeout (for the whole
 * exchange) ends. Zone transfers (AXFR) are the use: the messages are parsed in wire/xfr.c,
 * this only carries bytes. One connection per stream, on the engine's loop; closing the engine
 * ends every stream with VX_ECANCELED.
 *
 * Callback rule as for net/engine.h: done runs exactly once, on the loop thread, never from
 * inside vx__engine_stream(); an error return means no callback. on_msg's message is valid
 * only during the call; it returns VX_OK (more), VX__STREAM_DONE (complete) or an error status
 * that ends the stream with that status.
 */
#ifndef VX_NET_STREAM_H
#define VX_NET_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/engine.h"

#define VX__STREAM_DONE 1
#define VX__STREAM_MAX_BYTES (512u << 20) /* a safety limit on one exchange */

typedef int (*vx__stream_msg_cb)(void *arg, const uint8_t *msg, size_t len);
typedef void (*vx__stream_done_cb)(void *arg, int status);

typedef struct vx__stream_spec {
    const struct sockaddr *server; /* address and port (copied) */
    const uint8_t *query;          /* the query message without length prefix (copied) */
    size_t query_len;
    uint32_t timeout_ms; /* for the whole exchange */
} vx__stream_spec;

int vx__engine_stream(vx__engine *engine, const vx__stream_spec *spec, vx__stream_msg_cb on_msg,
                      vx__stream_done_cb done, void *arg);

#endif
