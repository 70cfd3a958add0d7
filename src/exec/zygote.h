/* The process pool's helper ("zygote") and its workers.
 *
 * The pool forks the helper once, when it starts: a snapshot of the process that owns the function
 * registry. The helper stays single-threaded and forks the workers on request, so no worker is ever forked
 * from a threaded process. It reaps them and reports how each ended, which tells the pool the signal that
 * killed a worker.
 *
 * Pool and helper talk over an AF_UNIX SOCK_SEQPACKET pair, one fixed-size az_zygote_msg per datagram. For
 * each worker the helper makes an AF_UNIX SOCK_STREAM pair and passes the pool's end with SCM_RIGHTS. On a
 * worker's stream, each message is a frame: a 32-bit length in host order, then that many bytes (a run from
 * asyncz_run_encode one way, an outcome from asyncz_run_invoke_encoded the other; an empty outcome means the
 * worker could not invoke the run). Before the outcome, a worker may send output frames: the length with
 * AZ_FRAME_OUTPUT set, and the lines the function wrote since the last one (az_run_output_encode), at most
 * one frame per AZ_OUTPUT_SHIP_NSEC unless AZ_OUTPUT_SHIP_BYTES wait; the lines not sent by then go with the
 * outcome. */
#ifndef AZ_ZYGOTE_H
#define AZ_ZYGOTE_H

#include <stdint.h>
#include <sys/types.h>

#include "asyncz/run.h"

/* The largest frame either side accepts: a run is at most a task document, but an outcome carries one
 * result (up to ASYNCZ_TASK_ARGS_MAX) per scheduled time. */
#define AZ_FRAME_MAX (16u * 1024 * 1024)
/* The bit of a worker's frame length that marks an output frame (lengths stay below AZ_FRAME_MAX). */
#define AZ_FRAME_OUTPUT 0x80000000u
/* A worker sends the lines a function writes when its last output frame is this old (the first line of a
 * run at once), or when this many bytes of text wait; otherwise they wait for the next line or the outcome:
 * a single-threaded worker has nothing to send them by time alone while the function runs. */
#define AZ_OUTPUT_SHIP_NSEC (200 * 1000 * 1000LL)
#define AZ_OUTPUT_SHIP_BYTES (16u * 1024)

typedef enum az_zygote_kind {
    AZ_ZYGOTE_SPAWN = 1,    /* pool: fork a worker for `slot` */
    AZ_ZYGOTE_KILL,         /* pool: send signal `value` to worker `pid` if it is a child not yet reaped */
    AZ_ZYGOTE_QUIT,         /* pool: kill every worker, report each, and exit */
    AZ_ZYGOTE_SPAWNED,      /* helper: worker `pid` for `slot`, with the pool's end of its stream */
    AZ_ZYGOTE_SPAWN_FAILED, /* helper: no worker for `slot`; `value` is the errno */
    AZ_ZYGOTE_EXITED,       /* helper: worker `pid` was reaped; `value` is its wait status */
} az_zygote_kind;

typedef struct az_zygote_msg {
    int32_t kind;
    int32_t slot;
    int32_t pid;
    int32_t value;
} az_zygote_msg;

/* Fork the helper for scheduler s. *pid: the helper; *ctl: the pool's end of the control socket
 * (O_CLOEXEC, blocking; use the _dontwait calls below). Errors: ASYNCZ_EIO. */
int az_zygote_fork(asyncz_scheduler *s, pid_t *pid, int *ctl);

/* Send a control message without blocking, with fd (or -1) attached. Returns 0, or a negative errno
 * (-EAGAIN when the socket is full). */
int az_zygote_send(int ctl, const az_zygote_msg *m, int fd, int flags);

/* Receive a control message. *fd: an attached descriptor (O_CLOEXEC) or -1. Returns 1 for a message, 0 at
 * end of stream (the peer is gone), or a negative errno (-EAGAIN: nothing there). */
int az_zygote_recv(int ctl, az_zygote_msg *m, int *fd, int flags);

#endif
