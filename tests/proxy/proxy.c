/*
 * nvmf-fault-proxy: a TCP proxy on loopback that injects one kind of fault
 * into the streams it forwards, for tests of the host's behaviour on a bad
 * network (tests/proxy/README.md).
 *
 *   nvmf-fault-proxy --upstream PORT [--port N] [--mode MODE] [--after N]
 *                    [--dir up|down|both] [--delay-ms MS] [--seed S]
 *                    [--conn K] [--stdin-eof]
 *
 * Every connection accepted on 127.0.0.1:PORT is forwarded to
 * 127.0.0.1:UPSTREAM. "up" is the stream the client sends (host to target),
 * "down" the one it receives. Prints "port N" once listening, serves until
 * SIGINT or SIGTERM (or stdin EOF with --stdin-eof) and prints a summary.
 * libuv only: it builds wherever the library does (Linux, FreeBSD).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <uv.h>

#define CHUNK_SIZE   (64u * 1024)
/* Bytes queued towards one peer before the other side stops being read:
 * a slow peer (or a long delay) must not make the proxy buffer without bound. */
#define QUEUE_HIGH   (4u * 1024 * 1024)
#define QUEUE_LOW    (1u * 1024 * 1024)

enum mode { M_PASS, M_RESET, M_BLACKHOLE, M_DELAY, M_CLOSE_RANDOM, M_FLIP };

static const char *const mode_names[] = {
	[M_PASS] = "pass", [M_RESET] = "reset", [M_BLACKHOLE] = "blackhole",
	[M_DELAY] = "delay", [M_CLOSE_RANDOM] = "close-random", [M_FLIP] = "flip",
};

enum { UP = 0, DOWN = 1 };
static const char *const dir_names[] = { "up", "down" };

struct opts {
	enum mode mode;
	uint16_t port, upstream;
	uint64_t after;		/* stream offset of the fault */
	unsigned dirs;		/* bit UP, bit DOWN */
	uint64_t delay_ms;
	uint64_t seed;
	unsigned conn;		/* 1-based connection index, 0 = every one */
	bool stdin_eof;
};

/* One read's worth of bytes; alloc_cb hands out its data, so a chunk is
 * never copied on the way through unless it must be split at the fault. */
struct chunk {
	uv_write_t wr;
	struct conn *c;
	int dir;
	size_t len;
	uint64_t due;		/* delay mode: loop time to send it */
	struct chunk *next;	/* delay queue */
	char data[];
};

struct dirstate {
	uv_tcp_t *src, *dst;
	uint64_t bytes;		/* read from src so far */
	size_t queued;		/* handed to dst (or delayed), not yet written */
	bool fired;
	bool eof;		/* src reached EOF */
	bool shutting;		/* shutdown of dst requested */
	bool shut;		/* dst shut down (FIN sent) */
	bool throttled;		/* src not read because dst is behind */
	uv_shutdown_t sreq;
	uv_timer_t timer;	/* delay mode */
	struct chunk *head, *tail;
};

struct conn {
	struct proxy *p;
	unsigned id;
	bool faulty;		/* the fault applies to this connection */
	bool connected;		/* upstream connected, both sides read */
	bool stopped;		/* a fault stopped forwarding for good */
	bool closing;
	int open_handles;
	uv_tcp_t client, server;
	uv_connect_t creq;
	struct dirstate d[2];
	struct conn *prev, *next;
};

struct proxy {
	uv_loop_t *loop;
	struct opts o;
	uint64_t close_at;	/* close-random: the offset drawn from the seed */
	uv_tcp_t listener;
	uv_signal_t sigint, sigterm;
	union {
		uv_pipe_t pipe;
		uv_tty_t tty;
	} in;
	bool in_open;
	bool stopping;
	unsigned conns, faults;
	uint64_t bytes[2];
	struct conn *list;
};

static void conn_close(struct conn *c, bool reset);
static void dir_read_start(struct conn *c, int d);

/* ---- Chunks and writing --------------------------------------------------------------- */

static struct chunk *chunk_new(struct conn *c, int d, size_t cap)
{
	struct chunk *ch = malloc(sizeof(*ch) + cap);

	if (!ch) {
		fprintf(stderr, "nvmf-fault-proxy: out of memory\n");
		exit(1);
	}
	ch->c = c;
	ch->dir = d;
	ch->len = 0;
	ch->next = NULL;
	return ch;
}

static void on_written(uv_write_t *wr, int status)
{
	struct chunk *ch = (struct chunk *)wr;
	struct conn *c = ch->c;
	int d = ch->dir;
	struct dirstate *ds = &c->d[d];

	ds->queued -= ch->len;
	free(ch);
	/* ECANCELED: the connection is being closed, nothing more to do. */
	if (status < 0) {
		if (status != UV_ECANCELED)
			conn_close(c, true);
		return;
	}
	if (ds->throttled && ds->queued < QUEUE_LOW) {
		ds->throttled = false;
		dir_read_start(c, d);
	}
}

static void chunk_write(struct chunk *ch)
{
	struct conn *c = ch->c;
	uv_buf_t b = uv_buf_init(ch->data, (unsigned)ch->len);

	if (c->closing || uv_write(&ch->wr, (uv_stream_t *)c->d[ch->dir].dst, &b, 1,
				   on_written) != 0) {
		c->d[ch->dir].queued -= ch->len;
		free(ch);
	}
}

/* Shut down the destination of direction d once everything before the EOF
 * went out; the connection ends when both directions are shut. */
static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	int d = req == &c->d[UP].sreq ? UP : DOWN;

	c->d[d].shut = true;
	if (status == UV_ECANCELED)
		return;
	if (status < 0 || (c->d[UP].shut && c->d[DOWN].shut))
		conn_close(c, false);
}

static void dir_shutdown(struct conn *c, int d)
{
	struct dirstate *ds = &c->d[d];

	if (c->closing || ds->shutting || ds->head)
		return;
	ds->shutting = true;
	ds->sreq.data = c;
	if (uv_shutdown(&ds->sreq, (uv_stream_t *)ds->dst, on_shutdown) != 0)
		conn_close(c, false);
}

/* ---- Delay mode --------------------------------------------------------------------- */

static void on_delay(uv_timer_t *t)
{
	struct conn *c = t->data;
	int d = t == &c->d[UP].timer ? UP : DOWN;
	struct dirstate *ds = &c->d[d];
	uint64_t now = uv_now(c->p->loop);

	while (ds->head && ds->head->due <= now) {
		struct chunk *ch = ds->head;

		ds->head = ch->next;
		if (!ds->head)
			ds->tail = NULL;
		chunk_write(ch);
	}
	if (ds->head)
		uv_timer_start(t, on_delay, ds->head->due - now, 0);
	else if (ds->eof)
		dir_shutdown(c, d);
}

/* Chunks of one direction leave in order: they are queued with
 * non-decreasing due times and one timer serves the queue's head. */
static void chunk_delay(struct chunk *ch)
{
	struct dirstate *ds = &ch->c->d[ch->dir];

	ch->due = uv_now(ch->c->p->loop) + ch->c->p->o.delay_ms;
	if (ds->tail)
		ds->tail->next = ch;
	else
		ds->head = ch;
	ds->tail = ch;
	if (!uv_is_active((uv_handle_t *)&ds->timer))
		uv_timer_start(&ds->timer, on_delay, ch->c->p->o.delay_ms, 0);
}

/* ---- Faults ------------------------------------------------------------------------- */

/* Stops reading both sides; queued writes still go out. */
static void conn_stop(struct conn *c)
{
	c->stopped = true;
	uv_read_stop((uv_stream_t *)&c->client);
	uv_read_stop((uv_stream_t *)&c->server);
}

static uint64_t fault_offset(const struct proxy *p)
{
	return p->o.mode == M_CLOSE_RANDOM ? p->close_at : p->o.after;
}

static void fire(struct conn *c, int d, uint64_t off)
{
	c->d[d].fired = true;
	c->p->faults++;
	fprintf(stderr, "nvmf-fault-proxy: %s on connection %u, %s stream, byte %" PRIu64 "\n",
		mode_names[c->p->o.mode], c->id, dir_names[d], off);
}

/* Splits ch at cut: ch keeps [0, cut), the result holds the rest. */
static struct chunk *chunk_split(struct chunk *ch, size_t cut)
{
	struct chunk *rest = chunk_new(ch->c, ch->dir, ch->len - cut);

	rest->len = ch->len - cut;
	memcpy(rest->data, ch->data + cut, rest->len);
	ch->len = cut;
	return rest;
}

/* Sends a chunk on (now, or later in delay mode), or drops an empty one. */
static void forward(struct chunk *ch, bool delayed)
{
	if (ch->len == 0) {
		free(ch);
		return;
	}
	ch->c->d[ch->dir].queued += ch->len;
	if (delayed)
		chunk_delay(ch);
	else
		chunk_write(ch);
}

/* The fault's byte is in this chunk at cut: apply the mode. */
static void apply_fault(struct conn *c, struct chunk *ch, size_t cut)
{
	struct proxy *p = c->p;
	struct chunk *rest;

	fire(c, ch->dir, c->d[ch->dir].bytes - ch->len + cut);
	switch (p->o.mode) {
	case M_FLIP:
		ch->data[cut] ^= 0x01;
		forward(ch, false);
		break;
	case M_DELAY:
		rest = chunk_split(ch, cut);
		forward(ch, false);
		forward(rest, true);
		break;
	case M_RESET:
		/* What came before the fault is handed to the kernel first; the
		 * RST may still overtake it at the peer, as with a real reset. */
		forward(ch, false);
		conn_close(c, true);
		break;
	case M_BLACKHOLE:
		/* Both sockets stay open and unread until the proxy exits: a
		 * silent partition that only a timer on the host can notice. */
		conn_stop(c);
		ch->len = cut;
		forward(ch, false);
		break;
	case M_CLOSE_RANDOM:
		conn_stop(c);
		ch->len = cut;
		forward(ch, false);
		dir_shutdown(c, UP);
		dir_shutdown(c, DOWN);
		break;
	case M_PASS:
		forward(ch, false);
		break;
	}
}

/* Bytes read from the source of direction d. */
static void on_input(struct conn *c, int d, struct chunk *ch)
{
	struct proxy *p = c->p;
	struct dirstate *ds = &c->d[d];
	uint64_t off = ds->bytes, at = fault_offset(p);

	ds->bytes += ch->len;
	p->bytes[d] += ch->len;
	if (c->stopped) {
		free(ch);
		return;
	}
	if (p->o.mode == M_PASS || !c->faulty || !(p->o.dirs & (1u << d)) ||
	    (ds->fired && p->o.mode != M_DELAY) || off + ch->len <= at) {
		forward(ch, false);
		return;
	}
	if (ds->fired) {
		forward(ch, true);	/* delay mode, after the fault's byte */
		return;
	}
	apply_fault(c, ch, (size_t)(at - off));
}

/* ---- Reading ------------------------------------------------------------------------- */

static int dir_of(struct conn *c, uv_stream_t *s)
{
	return s == (uv_stream_t *)&c->client ? UP : DOWN;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct conn *c = h->data;
	struct chunk *ch = chunk_new(c, dir_of(c, (uv_stream_t *)h), CHUNK_SIZE);

	(void)hint;
	*buf = uv_buf_init(ch->data, CHUNK_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	int d = dir_of(c, s);
	struct dirstate *ds = &c->d[d];
	struct chunk *ch = buf->base ? (struct chunk *)(buf->base - offsetof(struct chunk, data))
				     : NULL;

	if (n <= 0) {
		free(ch);
		if (n == UV_EOF) {
			/* Pass the FIN on after what is still queued. */
			ds->eof = true;
			uv_read_stop(s);
			if (!c->stopped)
				dir_shutdown(c, d);
		} else if (n < 0) {
			/* A reset (or another error) on one side: reset the other. */
			conn_close(c, true);
		}
		return;
	}
	ch->len = (size_t)n;
	on_input(c, d, ch);
	if (!c->closing && !c->stopped && ds->queued >= QUEUE_HIGH) {
		ds->throttled = true;
		uv_read_stop(s);
	}
}

static void dir_read_start(struct conn *c, int d)
{
	struct dirstate *ds = &c->d[d];

	if (c->closing || c->stopped || ds->eof || ds->throttled || !c->connected)
		return;
	if (uv_read_start((uv_stream_t *)ds->src, on_alloc, on_read) != 0)
		conn_close(c, true);
}

/* ---- Connections --------------------------------------------------------------------- */

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->open_handles > 0)
		return;
	for (int d = 0; d < 2; d++) {
		while (c->d[d].head) {
			struct chunk *ch = c->d[d].head;

			c->d[d].head = ch->next;
			free(ch);
		}
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		c->p->list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void close_socket(struct conn *c, uv_tcp_t *t, bool reset)
{
	/* close_reset refuses a socket being shut down: close it plainly. */
	if (reset && uv_tcp_close_reset(t, on_conn_handle_closed) == 0)
		return;
	uv_close((uv_handle_t *)t, on_conn_handle_closed);
}

/* Closes both sockets (with RST if reset) and the timers; the conn is freed
 * once every handle is closed. Pending writes end with ECANCELED first. */
static void conn_close(struct conn *c, bool reset)
{
	if (c->closing)
		return;
	c->closing = true;
	close_socket(c, &c->client, reset);
	close_socket(c, &c->server, reset);
	uv_close((uv_handle_t *)&c->d[UP].timer, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->d[DOWN].timer, on_conn_handle_closed);
}

static void on_upstream(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (status == UV_ECANCELED)
		return;
	if (status < 0) {
		fprintf(stderr, "nvmf-fault-proxy: connection %u: upstream port %u: %s\n", c->id,
			c->p->o.upstream, uv_strerror(status));
		conn_close(c, true);
		return;
	}
	uv_tcp_nodelay(&c->client, 1);
	uv_tcp_nodelay(&c->server, 1);
	c->connected = true;
	dir_read_start(c, UP);
	dir_read_start(c, DOWN);
}

static void on_accept(uv_stream_t *l, int status)
{
	struct proxy *p = l->data;
	struct sockaddr_in up;
	struct conn *c;

	if (status < 0 || p->stopping)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "nvmf-fault-proxy: out of memory\n");
		exit(1);
	}
	c->p = p;
	c->id = ++p->conns;
	c->faulty = p->o.conn == 0 || p->o.conn == c->id;
	uv_tcp_init(p->loop, &c->client);
	uv_tcp_init(p->loop, &c->server);
	uv_timer_init(p->loop, &c->d[UP].timer);
	uv_timer_init(p->loop, &c->d[DOWN].timer);
	c->client.data = c->server.data = c->creq.data = c;
	c->d[UP].timer.data = c->d[DOWN].timer.data = c;
	c->open_handles = 4;
	c->d[UP].src = c->d[DOWN].dst = &c->client;
	c->d[UP].dst = c->d[DOWN].src = &c->server;
	c->next = p->list;
	if (p->list)
		p->list->prev = c;
	p->list = c;
	if (uv_accept(l, (uv_stream_t *)&c->client) != 0) {
		conn_close(c, false);
		return;
	}
	uv_ip4_addr("127.0.0.1", p->o.upstream, &up);
	if (uv_tcp_connect(&c->creq, &c->server, (struct sockaddr *)&up, on_upstream) != 0)
		conn_close(c, true);
}

/* ---- Start and stop ------------------------------------------------------------------ */

static void stop(struct proxy *p)
{
	if (p->stopping)
		return;
	p->stopping = true;
	uv_close((uv_handle_t *)&p->listener, NULL);
	uv_close((uv_handle_t *)&p->sigint, NULL);
	uv_close((uv_handle_t *)&p->sigterm, NULL);
	if (p->in_open)
		uv_close((uv_handle_t *)&p->in, NULL);
	for (struct conn *c = p->list; c; c = c->next)
		conn_close(c, false);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	stop(s->data);
}

static void on_stdin_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char sink[256];

	(void)h;
	(void)hint;
	*buf = uv_buf_init(sink, sizeof(sink));
}

static void on_stdin(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	if (n < 0)
		stop(s->data);
}

/* --stdin-eof: a pipe or terminal is watched; anything else (a file,
 * /dev/null) has already ended, and the proxy stops at once, as
 * nvmf-fake-ctrl does. */
static int watch_stdin(struct proxy *p)
{
	uv_handle_type t = uv_guess_handle(0);
	int r;

	if (t == UV_NAMED_PIPE) {
		uv_pipe_init(p->loop, &p->in.pipe, 0);
		p->in_open = true;	/* initialised: stop() closes it */
		r = uv_pipe_open(&p->in.pipe, 0);
	} else if (t == UV_TTY) {
		r = uv_tty_init(p->loop, &p->in.tty, 0, 1);
		p->in_open = r == 0;	/* a failed init left nothing to close */
	} else {
		stop(p);
		return 0;
	}
	p->in.pipe.data = p;
	if (r == 0)
		r = uv_read_start((uv_stream_t *)&p->in, on_stdin_alloc, on_stdin);
	return r;
}

static int listen_on(struct proxy *p)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss), r;

	uv_tcp_init(p->loop, &p->listener);
	p->listener.data = p;
	uv_ip4_addr("127.0.0.1", p->o.port, &sin);
	r = uv_tcp_bind(&p->listener, (struct sockaddr *)&sin, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&p->listener, 64, on_accept);
	if (r == 0)
		r = uv_tcp_getsockname(&p->listener, (struct sockaddr *)&ss, &len);
	if (r != 0)
		return r;
	p->o.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

/* splitmix64: a fixed generator, so a seed names the same point everywhere. */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- Options ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmf-fault-proxy --upstream PORT [--port N] [--mode MODE] [--after N]\n"
		"                        [--dir up|down|both] [--delay-ms MS] [--seed S]\n"
		"                        [--conn K] [--stdin-eof]\n"
		"  --upstream PORT  forward to 127.0.0.1:PORT\n"
		"  --port N         listen on 127.0.0.1:N (default 0: any free port)\n"
		"  --mode MODE      pass, reset, blackhole, delay, close-random, flip\n"
		"  --after N        stream offset of the fault (default 0); close-random:\n"
		"                   the point is drawn in [0, N)\n"
		"  --dir D          stream(s) the fault applies to: up (client to upstream),\n"
		"                   down, both (default)\n"
		"  --delay-ms MS    delay mode: each chunk is sent MS ms late (default 100)\n"
		"  --seed S         close-random's seed (default 1)\n"
		"  --conn K         fault only the K-th accepted connection (default 0: all)\n"
		"  --stdin-eof      also stop when stdin reaches EOF\n");
}

static int num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || *s == '\0' || *s == '-' || *out > max) {
		fprintf(stderr, "nvmf-fault-proxy: %s: invalid value '%s' (0..%" PRIu64 ")\n", opt,
			s, max);
		return -1;
	}
	return 0;
}

static int parse_mode(const char *s, enum mode *m)
{
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum mode)i;
			return 0;
		}
	}
	fprintf(stderr, "nvmf-fault-proxy: unknown mode '%s'\n", s);
	return -1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "upstream", required_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "after", required_argument, NULL, 'a' },
		{ "dir", required_argument, NULL, 'd' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "conn", required_argument, NULL, 'c' },
		{ "stdin-eof", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->dirs = 1u << UP | 1u << DOWN;
	o->delay_ms = 100;
	o->seed = 1;
	while ((ch = getopt_long(argc, argv, "u:p:m:a:d:D:s:c:eh", lo, NULL)) != -1) {
		switch (ch) {
		case 'u':
			if (num("--upstream", optarg, 65535, &v) != 0 || v == 0)
				return 2;
			o->upstream = (uint16_t)v;
			break;
		case 'p':
			if (num("--port", optarg, 65535, &v) != 0)
				return 2;
			o->port = (uint16_t)v;
			break;
		case 'm':
			if (parse_mode(optarg, &o->mode) != 0)
				return 2;
			break;
		case 'a':
			if (num("--after", optarg, UINT64_MAX, &o->after) != 0)
				return 2;
			break;
		case 'd':
			if (strcmp(optarg, "up") == 0)
				o->dirs = 1u << UP;
			else if (strcmp(optarg, "down") == 0)
				o->dirs = 1u << DOWN;
			else if (strcmp(optarg, "both") == 0)
				o->dirs = 1u << UP | 1u << DOWN;
			else {
				fprintf(stderr, "nvmf-fault-proxy: --dir: up, down or both\n");
				return 2;
			}
			break;
		case 'D':
			if (num("--delay-ms", optarg, 3600000, &o->delay_ms) != 0)
				return 2;
			break;
		case 's':
			if (num("--seed", optarg, UINT64_MAX, &o->seed) != 0)
				return 2;
			break;
		case 'c':
			if (num("--conn", optarg, 1000000, &v) != 0)
				return 2;
			o->conn = (unsigned)v;
			break;
		case 'e':
			o->stdin_eof = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || o->upstream == 0) {
		usage(stderr);
		return 2;
	}
	if (o->mode == M_CLOSE_RANDOM && o->after == 0) {
		fprintf(stderr, "nvmf-fault-proxy: close-random needs --after N > 0\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct proxy p;
	int r;

	memset(&p, 0, sizeof(p));
	r = parse_args(argc, argv, &p.o);
	if (r != 0)
		return r == 1 ? 0 : r;
	p.loop = uv_default_loop();
	/* A peer gone while a write is queued must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	r = listen_on(&p);
	if (r != 0) {
		fprintf(stderr, "nvmf-fault-proxy: cannot listen on port %u: %s\n", p.o.port,
			uv_strerror(r));
		return 1;
	}
	uv_signal_init(p.loop, &p.sigint);
	uv_signal_init(p.loop, &p.sigterm);
	p.sigint.data = p.sigterm.data = &p;
	uv_signal_start(&p.sigint, on_signal, SIGINT);
	uv_signal_start(&p.sigterm, on_signal, SIGTERM);
	printf("port %u\n", p.o.port);
	if (p.o.mode == M_CLOSE_RANDOM) {
		p.close_at = splitmix64(p.o.seed) % p.o.after;
		printf("close-random at byte %" PRIu64 " (seed %" PRIu64 ")\n", p.close_at,
		       p.o.seed);
	}
	fflush(stdout);
	if (p.o.stdin_eof && watch_stdin(&p) != 0) {
		fprintf(stderr, "nvmf-fault-proxy: cannot watch stdin\n");
		stop(&p);
	}
	uv_run(p.loop, UV_RUN_DEFAULT);
	printf("conns %u up %" PRIu64 " down %" PRIu64 " mode %s fired %u\n", p.conns,
	       p.bytes[UP], p.bytes[DOWN], mode_names[p.o.mode], p.faults);
	fflush(stdout);
	r = uv_loop_close(p.loop);
	if (r != 0)
		fprintf(stderr, "nvmf-fault-proxy: loop not empty at exit: %s\n", uv_strerror(r));
	return r == 0 ? 0 : 1;
}
