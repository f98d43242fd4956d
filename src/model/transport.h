/*
 * model/transport.h — the DNS transports an observation was made over. A value type shared by
 * net/ (which speaks them) and the snapshot (which records them), so that a snapshot does not
 * pull in the engine and libuv.
 */
#ifndef VX_MODEL_TRANSPORT_H
#define VX_MODEL_TRANSPORT_H

typedef enum vx__transport { VX__UDP = 0, VX__TCP = 1 } vx__transport;

#endif
