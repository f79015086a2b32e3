/*
 * NVMe/TCP controller side (NVMe/TCP 1.0): listeners and connections of
 * the userland target. Each accepted connection is one NVMe queue
 * (ctl_queue) of the transport-neutral controller in src/controller.
 *
 * Internal (prefix tcp_). Everything runs on the target's libuv loop.
 */
#ifndef NVMF_TCP_CTRL_H
#define NVMF_TCP_CTRL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "controller/ctl.h"
#include "tcp/rx.h"

struct tcp_cconn;
struct tcp_listener;

struct tcp_srv_opts {
	uint8_t  cpda;		/* controller PDU data alignment, 0's based (0..31) */
	unsigned max_conns;	/* connections beyond this are refused at accept */
	uint32_t ic_timeout_ms;	/* ICReq and Connect must come within this */
	size_t   stage_size;	/* receive staging buffer per connection */
};

struct tcp_srv {
	struct ctl_target *target;
	uv_loop_t *loop;
	struct tcp_srv_opts opts;
	struct tcp_listener *listeners;
	struct tcp_cconn *conns;
	unsigned nconns;
	uv_check_t flush;	/* sends what each loop turn queued, one write per connection */
	bool     draining;
	void   (*drain_cb)(struct tcp_srv *srv);
	bool     closing;
	uint64_t accepted, refused;
};

void tcp_srv_init(struct tcp_srv *srv, struct ctl_target *t);
/*
 * Listens on ADDR:PORT (port 0: any free port; the real one is returned
 * in *real_port). io: I/O subsystems are served here (else discovery
 * only). The address is added to the target's discovery information.
 * Returns 0 or a negative errno with msg filled.
 */
int  tcp_srv_listen(struct tcp_srv *srv, const char *addr, int port, bool io, int *real_port,
		    char *msg, size_t msglen);
/* Stop accepting, let in-flight commands finish and their responses go
 * out, then close every connection and call cb (SIGTERM). */
void tcp_srv_drain(struct tcp_srv *srv, void (*cb)(struct tcp_srv *srv));
/* Part of draining: close the connections once all is answered. */
void tcp_srv_drain_check(struct tcp_srv *srv);
/* Close everything now; handles finish closing on the next loop turn. */
void tcp_srv_close(struct tcp_srv *srv);

/* conn.c */
int  tcp_cconn_accept(struct tcp_srv *srv, uv_stream_t *server, bool io);
void tcp_cconn_close(struct tcp_cconn *c, const char *why);
/* Flush queued PDUs of every connection (the uv_check callback). */
void tcp_srv_flush_all(struct tcp_srv *srv);
/* No PDU queued or being written. */
bool tcp_cconn_idle(const struct tcp_cconn *c);
struct tcp_cconn *tcp_cconn_next(struct tcp_cconn *c);
/* Stop reading new PDUs (draining). */
void tcp_cconn_pause(struct tcp_cconn *c);

#endif /* NVMF_TCP_CTRL_H */
