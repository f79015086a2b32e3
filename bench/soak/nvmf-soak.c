/*
 * nvmf-soak: a verifying writer for outage tests (bench/soak/README.md).
 *
 * Writes whole blocks of a file (an nvmf-fuse namespace file, a block
 * device, any file) at seeded random places, each block stamped with a
 * magic, its block number, a generation (the run's write number), the seed
 * and a CRC32C of the whole block; fsyncs every K writes. A successful
 * fsync acknowledges every write that completed before it: the block's
 * acknowledged generation is then recorded, in memory and, with --journal,
 * in a state file. At the end every block is read back: a block we wrote
 * must be intact and carry at least its last acknowledged generation.
 *
 * Portable C11 + POSIX (Linux, FreeBSD); needs nothing but libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __FreeBSD__
#include <sys/disk.h>
#endif
#ifdef __linux__
#include <linux/fs.h>
#endif

#ifndef O_DIRECT
#define O_DIRECT 0
#endif

#define SOAK_MAGIC	"NVMFSOAK"
#define HDR_LEN		40	/* magic 8, block 8, gen 8, seed 8, bs 4, crc 4 */
#define CRC_OFF		36
#define JRNL_MAGIC	"NVMFSJ01"
#define JRNL_HDR	64
#define MAX_PRINTED	20	/* errors printed one by one */
#define FAILED_BIT	(1ull << 63)	/* journal: the block's last write failed */

/* ---- Little-endian fields, CRC32C, PRNG ------------------------------------------- */

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* CRC32C (Castagnoli, reflected 0x82F63B78), slicing by 8. */
static uint32_t crc_tab[8][256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo = crc ^ get32(p), hi = get32(p + 4);

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		      crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		      crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		      crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

/* The CRC of a block with its CRC field taken as zero. */
static uint32_t block_crc(const uint8_t *b, size_t bs)
{
	static const uint8_t zero[4];
	uint32_t c = crc32c(0, b, CRC_OFF);

	c = crc32c(c, zero, 4);
	return crc32c(c, b + CRC_OFF + 4, bs - CRC_OFF - 4);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- State ------------------------------------------------------------------------- */

struct soak {
	/* options */
	const char *file, *journal_path, *progress_path;
	uint32_t bs;
	uint64_t blocks;
	uint64_t fsync_every;
	uint64_t seed;
	double duration;	/* s; 0 = not by time */
	uint64_t max_writes;	/* 0 = not by count */
	bool verify_only, allow_errors, direct, quiet;

	int fd, jfd, pfd;
	uint8_t *buf;
	/* per block */
	uint64_t *acked;	/* generation acknowledged by an fsync, 0 = none */
	uint64_t *written;	/* highest generation whose write was attempted */
	uint64_t *pending;	/* generation written since the last good fsync, 0 = none */
	uint8_t  *failed;	/* the block's last write attempt failed (outcome unknown) */
	uint8_t  *in_dirty;	/* on the dirty list */
	uint64_t *dirty;	/* blocks written (or tried) since the last good fsync */
	uint64_t ndirty;
	bool written_bound;	/* written[] is complete (upper bound check valid) */

	/* counters */
	uint64_t gen, writes, fsyncs, acked_writes, errors, printed;
	uint64_t unacked;	/* successful writes since the last good fsync */
	uint64_t checked, lost, corrupt, torn;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct soak *s, const char *fmt, ...)
{
	char line[512];
	int n;
	va_list ap;

	if (s->pfd < 0)
		return;
	n = snprintf(line, sizeof(line), "%.6f ", now_mono());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(s->pfd, line, (size_t)n) < 0) {
		/* a progress file that cannot be written is not worth stopping for */
	}
}

static void report_error(struct soak *s, const char *what, uint64_t block, uint64_t gen, int err)
{
	s->errors++;
	progress(s, "error %s block %" PRIu64 " errno %d", what, block, err);
	if (s->printed < MAX_PRINTED) {
		if (block == UINT64_MAX)
			fprintf(stderr, "soak: %s failed: %s (errno %d)\n", what, strerror(err), err);
		else
			fprintf(stderr, "soak: %s failed at offset %" PRIu64 " (block %" PRIu64
				", generation %" PRIu64 "): %s (errno %d)\n", what,
				block * s->bs, block, gen, strerror(err), err);
	} else if (s->printed == MAX_PRINTED) {
		fprintf(stderr, "soak: further errors are counted, not printed\n");
	}
	s->printed++;
}

/* ---- Journal: a fixed-size state file, updated in place ----------------------------
 *
 * 64-byte header: "NVMFSJ01", seed, block size, blocks, writes, clean (1 once
 * the run ended in order: written[] is then complete), 16 reserved bytes;
 * then acked[blocks] and written[blocks], u64 little-endian each. An entry is
 * rewritten after each successful fsync for the blocks it acknowledged, so a
 * journal never claims an acknowledgement the writer did not get. */

static int jrnl_pwrite(struct soak *s, const void *p, size_t n, uint64_t off)
{
	const uint8_t *c = p;

	while (n) {
		ssize_t r = pwrite(s->jfd, c, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "soak: journal %s: %s\n", s->journal_path,
				r < 0 ? strerror(errno) : "short write");
			return -1;
		}
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int jrnl_header(struct soak *s, bool clean)
{
	uint8_t h[JRNL_HDR] = { 0 };

	memcpy(h, JRNL_MAGIC, 8);
	put64(h + 8, s->seed);
	put64(h + 16, s->bs);
	put64(h + 24, s->blocks);
	put64(h + 32, s->writes);
	put64(h + 40, clean ? 1 : 0);
	return jrnl_pwrite(s, h, sizeof(h), 0);
}

static int jrnl_entry(struct soak *s, uint64_t b)
{
	uint8_t v[8];

	put64(v, s->acked[b]);
	if (jrnl_pwrite(s, v, 8, JRNL_HDR + 8 * b) < 0)
		return -1;
	put64(v, s->written[b] | (s->failed[b] ? FAILED_BIT : 0));
	return jrnl_pwrite(s, v, 8, JRNL_HDR + 8 * (s->blocks + b));
}

static int jrnl_create(struct soak *s)
{
	uint64_t len = JRNL_HDR + 16 * s->blocks;

	s->jfd = open(s->journal_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (s->jfd < 0) {
		fprintf(stderr, "soak: %s: %s\n", s->journal_path, strerror(errno));
		return -1;
	}
	if (ftruncate(s->jfd, (off_t)len) < 0) {
		fprintf(stderr, "soak: %s: %s\n", s->journal_path, strerror(errno));
		return -1;
	}
	return jrnl_header(s, false);
}

static int jrnl_load(struct soak *s)
{
	uint8_t h[JRNL_HDR], *t;
	size_t n;
	ssize_t r;

	s->jfd = open(s->journal_path, O_RDONLY);
	if (s->jfd < 0) {
		fprintf(stderr, "soak: %s: %s\n", s->journal_path, strerror(errno));
		return -1;
	}
	if (pread(s->jfd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, JRNL_MAGIC, 8)) {
		fprintf(stderr, "soak: %s: not an nvmf-soak journal\n", s->journal_path);
		return -1;
	}
	s->seed = get64(h + 8);
	s->bs = (uint32_t)get64(h + 16);
	s->blocks = get64(h + 24);
	s->writes = get64(h + 32);
	s->written_bound = get64(h + 40) == 1;
	n = 16 * (size_t)s->blocks;
	t = malloc(n ? n : 1);
	s->acked = calloc(s->blocks, 8);
	s->written = calloc(s->blocks, 8);
	s->failed = calloc(s->blocks, 1);
	if (!t || !s->acked || !s->written || !s->failed) {
		fprintf(stderr, "soak: out of memory\n");
		return -1;
	}
	r = pread(s->jfd, t, n, JRNL_HDR);
	if (r != (ssize_t)n) {
		fprintf(stderr, "soak: %s: truncated journal\n", s->journal_path);
		free(t);
		return -1;
	}
	for (uint64_t b = 0; b < s->blocks; b++) {
		s->acked[b] = get64(t + 8 * b);
		s->written[b] = get64(t + 8 * (s->blocks + b)) & ~FAILED_BIT;
		s->failed[b] = (get64(t + 8 * (s->blocks + b)) & FAILED_BIT) != 0;
	}
	free(t);
	return 0;
}

/* ---- Writing ----------------------------------------------------------------------- */

static void stamp(struct soak *s, uint8_t *b, uint64_t block, uint64_t gen)
{
	uint64_t st = s->seed ^ (block * 0xd6e8feb86659fd93ull) ^ (gen * 0xa0761d6478bd642full);

	memcpy(b, SOAK_MAGIC, 8);
	put64(b + 8, block);
	put64(b + 16, gen);
	put64(b + 24, s->seed);
	put32(b + 32, s->bs);
	put32(b + CRC_OFF, 0);
	for (size_t i = HDR_LEN; i < s->bs; i += 8) {
		uint64_t v = splitmix64(&st);

		for (size_t k = 0; k < 8 && i + k < s->bs; k++)
			b[i + k] = (uint8_t)(v >> (8 * k));
	}
	put32(b + CRC_OFF, block_crc(b, s->bs));
}

/* Full pwrite/pread of one block: 0 or a positive errno (EIO for a short transfer
 * that cannot go on). */
static int xfer(struct soak *s, bool wr, uint64_t block)
{
	size_t done = 0;

	while (done < s->bs) {
		off_t off = (off_t)(block * s->bs + done);
		ssize_t r = wr ? pwrite(s->fd, s->buf + done, s->bs - done, off)
			       : pread(s->fd, s->buf + done, s->bs - done, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return wr ? ENOSPC : EIO;	/* end of file inside the area */
		done += (size_t)r;
	}
	return 0;
}

static void mark_dirty(struct soak *s, uint64_t b)
{
	if (!s->in_dirty[b]) {
		s->in_dirty[b] = 1;
		s->dirty[s->ndirty++] = b;
	}
}

static int do_fsync(struct soak *s)
{
	int e;

	while (fsync(s->fd) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		report_error(s, "fsync", UINT64_MAX, 0, e);
		return -1;
	}
	s->fsyncs++;
	for (uint64_t i = 0; i < s->ndirty; i++) {
		uint64_t b = s->dirty[i];

		if (s->pending[b])
			s->acked[b] = s->pending[b];
		s->pending[b] = 0;
		s->in_dirty[b] = 0;
		if (s->jfd >= 0 && jrnl_entry(s, b) < 0)
			return -2;
	}
	s->ndirty = 0;
	s->acked_writes += s->unacked;
	s->unacked = 0;
	if (s->jfd >= 0 && jrnl_header(s, false) < 0)
		return -2;
	progress(s, "fsync %" PRIu64 " writes %" PRIu64, s->fsyncs, s->writes);
	return 0;
}

static int run_writes(struct soak *s)
{
	uint64_t rng = s->seed ^ 0x5eed5eed5eed5eedull;
	double end = s->duration > 0 ? now_mono() + s->duration : 0;

	while (!stop_flag) {
		uint64_t b, gen;
		int e;

		if (s->max_writes && s->writes >= s->max_writes)
			break;
		if (end && now_mono() >= end)
			break;
		b = splitmix64(&rng) % s->blocks;
		gen = ++s->gen;
		stamp(s, s->buf, b, gen);
		mark_dirty(s, b);
		s->written[b] = gen;
		e = xfer(s, true, b);
		s->writes++;
		if (e) {
			/* Outcome unknown: the block may hold the old or the new data. */
			s->failed[b] = 1;
			s->pending[b] = 0;
			report_error(s, "write", b, gen, e);
			if (!s->allow_errors)
				return -1;
		} else {
			s->failed[b] = 0;
			s->pending[b] = gen;
			s->unacked++;
		}
		if (s->writes % s->fsync_every == 0) {
			int r = do_fsync(s);

			if (r == -2 || (r < 0 && !s->allow_errors))
				return -1;
		}
	}
	return 0;
}

/* ---- Verifying --------------------------------------------------------------------- */

static void verdict(struct soak *s, uint64_t b, const char *what, uint64_t got)
{
	if (s->lost + s->corrupt + s->torn <= MAX_PRINTED)
		fprintf(stderr, "soak: block %" PRIu64 " (offset %" PRIu64 "): %s (read generation %"
			PRIu64 ", acknowledged %" PRIu64 ", last written %" PRIu64 ")\n",
			b, b * s->bs, what, got, s->acked[b], s->written[b]);
}

static void verify(struct soak *s)
{
	for (uint64_t b = 0; b < s->blocks; b++) {
		const uint8_t *p = s->buf;
		bool ours, intact;
		uint64_t gen;
		int e = xfer(s, false, b);

		if (e) {
			report_error(s, "read", b, 0, e);
			continue;
		}
		ours = !memcmp(p, SOAK_MAGIC, 8) && get64(p + 24) == s->seed;
		intact = ours && get64(p + 8) == b && get32(p + 32) == s->bs &&
			 get32(p + CRC_OFF) == block_crc(p, s->bs);
		gen = ours ? get64(p + 16) : 0;
		if (!s->written[b]) {
			/* Never written by this run: must not carry this run's stamp. */
			if (ours) {
				s->corrupt++;
				verdict(s, b, "stamp of this run on a block it never wrote", gen);
			}
			continue;
		}
		s->checked++;
		if (!intact) {
			if (!ours && !s->acked[b]) {
				/* Written (the write failed, or was never acknowledged) but
				 * not landed: it may still hold what it held before the run. */
			} else if (ours && s->failed[b]) {
				/* Torn by a write that failed (no atomicity beyond a logical
				 * block): allowed, counted apart. */
				s->torn++;
				verdict(s, b, "torn by a failed write", gen);
			} else if (!ours) {
				s->lost++;
				verdict(s, b, "acknowledged write lost (no data of this run)", gen);
			} else {
				s->corrupt++;
				verdict(s, b, get64(p + 8) != b ? "stamped with another block's offset" :
					"checksum mismatch", gen);
			}
			continue;
		}
		if (gen < s->acked[b]) {
			s->lost++;
			verdict(s, b, "acknowledged write lost", gen);
		} else if (s->written_bound && gen > s->written[b]) {
			s->corrupt++;
			verdict(s, b, "a generation never written to this block", gen);
		}
	}
}

/* ---- Main -------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmf-soak --file PATH [--block-size 4096] [--blocks N] [--fsync-every K]\n"
		"                 [--seed S] [--duration SEC | --writes N] [--journal PATH]\n"
		"                 [--progress PATH] [--verify-only] [--allow-errors] [--direct]\n"
		"                 [--quiet]\n");
}

static int parse_u64(const char *opt, const char *v, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v || *end || v[0] == '-') {
		fprintf(stderr, "soak: %s: bad number '%s'\n", opt, v);
		return -1;
	}
	return 0;
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
#ifdef BLKGETSIZE64
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size);
#endif
#ifdef DIOCGMEDIASIZE
	{
		off_t m;

		if (ioctl(fd, DIOCGMEDIASIZE, &m) == 0) {
			*size = (uint64_t)m;
			return 0;
		}
	}
#endif
	{
		off_t e = lseek(fd, 0, SEEK_END);

		if (e < 0)
			return -1;
		*size = (uint64_t)e;
	}
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_FILE = 256, O_BS, O_BLOCKS, O_FSE, O_SEED, O_DUR, O_WRITES, O_JRNL, O_PROG,
	       O_VONLY, O_ALLOW, O_DIRECT_, O_QUIET, O_HELP };
	static const struct option lo[] = {
		{ "file", required_argument, NULL, O_FILE },
		{ "block-size", required_argument, NULL, O_BS },
		{ "blocks", required_argument, NULL, O_BLOCKS },
		{ "fsync-every", required_argument, NULL, O_FSE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "duration", required_argument, NULL, O_DUR },
		{ "writes", required_argument, NULL, O_WRITES },
		{ "journal", required_argument, NULL, O_JRNL },
		{ "progress", required_argument, NULL, O_PROG },
		{ "verify-only", no_argument, NULL, O_VONLY },
		{ "allow-errors", no_argument, NULL, O_ALLOW },
		{ "direct", no_argument, NULL, O_DIRECT_ },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct soak s;
	uint64_t v, size;
	bool have_bs = false, have_seed = false;
	struct sigaction sa;
	int c, rc;

	memset(&s, 0, sizeof(s));
	s.bs = 4096;
	s.fsync_every = 16;
	s.seed = 1;
	s.fd = s.jfd = s.pfd = -1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_FILE: s.file = optarg; break;
		case O_JRNL: s.journal_path = optarg; break;
		case O_PROG: s.progress_path = optarg; break;
		case O_VONLY: s.verify_only = true; break;
		case O_ALLOW: s.allow_errors = true; break;
		case O_DIRECT_: s.direct = true; break;
		case O_QUIET: s.quiet = true; break;
		case O_BS:
			if (parse_u64("--block-size", optarg, &v) < 0)
				return 2;
			if (v < 512 || v > (1u << 24) || v % 512) {
				fprintf(stderr, "soak: --block-size: a multiple of 512 up to 16 MiB\n");
				return 2;
			}
			s.bs = (uint32_t)v;
			have_bs = true;
			break;
		case O_BLOCKS:
			if (parse_u64("--blocks", optarg, &s.blocks) < 0)
				return 2;
			break;
		case O_FSE:
			if (parse_u64("--fsync-every", optarg, &s.fsync_every) < 0)
				return 2;
			if (!s.fsync_every) {
				fprintf(stderr, "soak: --fsync-every: at least 1\n");
				return 2;
			}
			break;
		case O_SEED:
			if (parse_u64("--seed", optarg, &s.seed) < 0)
				return 2;
			have_seed = true;
			break;
		case O_DUR: {
			char *end;

			s.duration = strtod(optarg, &end);
			if (end == optarg || *end || !(s.duration > 0)) {
				fprintf(stderr, "soak: --duration: bad number '%s'\n", optarg);
				return 2;
			}
			break;
		}
		case O_WRITES:
			if (parse_u64("--writes", optarg, &s.max_writes) < 0)
				return 2;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !s.file) {
		usage(stderr);
		return 2;
	}
	if (s.duration > 0 && s.max_writes) {
		fprintf(stderr, "soak: --duration and --writes exclude each other\n");
		return 2;
	}
	if (s.verify_only && !s.journal_path) {
		fprintf(stderr, "soak: --verify-only needs the --journal of the run\n");
		return 2;
	}
	if (!s.verify_only && !s.duration && !s.max_writes)
		s.duration = 10;
	crc_init();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;	/* an I/O in flight completes; the loop then ends */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (s.verify_only) {
		uint64_t bs_opt = s.bs, seed_opt = s.seed;

		if (jrnl_load(&s) < 0)
			return 2;
		if ((have_bs && bs_opt != s.bs) || (have_seed && seed_opt != s.seed)) {
			fprintf(stderr, "soak: the journal says block size %u seed %" PRIu64 "\n",
				s.bs, s.seed);
			return 2;
		}
	}
	s.fd = open(s.file, (s.verify_only ? O_RDONLY : O_RDWR) | (s.direct ? O_DIRECT : 0));
	if (s.fd < 0) {
		fprintf(stderr, "soak: %s: %s\n", s.file, strerror(errno));
		return 2;
	}
	if (file_size(s.fd, &size) < 0) {
		fprintf(stderr, "soak: %s: cannot tell its size: %s\n", s.file, strerror(errno));
		return 2;
	}
	if (!s.verify_only) {
		if (!s.blocks)
			s.blocks = size / s.bs;
		if (!s.blocks || s.blocks > size / s.bs) {
			fprintf(stderr, "soak: %s holds %" PRIu64 " blocks of %u bytes, %" PRIu64
				" asked for\n", s.file, size / s.bs, s.bs, s.blocks);
			return 2;
		}
		s.acked = calloc(s.blocks, 8);
		s.written = calloc(s.blocks, 8);
		s.failed = calloc(s.blocks, 1);
		s.written_bound = true;
	} else if (s.blocks > size / s.bs) {
		fprintf(stderr, "soak: %s is smaller than the journal's %" PRIu64 " blocks\n",
			s.file, s.blocks);
		return 2;
	}
	s.pending = calloc(s.blocks, 8);
	s.dirty = calloc(s.blocks, 8);
	s.in_dirty = calloc(s.blocks, 1);
	if (posix_memalign((void **)&s.buf, 4096, s.bs) || !s.acked || !s.written ||
	    !s.pending || !s.dirty || !s.failed || !s.in_dirty) {
		fprintf(stderr, "soak: out of memory\n");
		return 2;
	}
	if (s.progress_path) {
		s.pfd = open(s.progress_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (s.pfd < 0) {
			fprintf(stderr, "soak: %s: %s\n", s.progress_path, strerror(errno));
			return 2;
		}
	}

	if (!s.verify_only) {
		if (s.journal_path && jrnl_create(&s) < 0)
			return 2;
		if (!s.quiet)
			fprintf(stderr, "soak: %s: %" PRIu64 " blocks of %u bytes, fsync every %"
				PRIu64 ", seed %" PRIu64 "\n", s.file, s.blocks, s.bs,
				s.fsync_every, s.seed);
		progress(&s, "start seed %" PRIu64, s.seed);
		run_writes(&s);
		/* The final fsync acknowledges what is still pending. */
		if (s.ndirty && !(s.errors && !s.allow_errors))
			do_fsync(&s);
		if (s.jfd >= 0) {
			/* Blocks whose writes failed since the last fsync: record their generation. */
			for (uint64_t i = 0; i < s.ndirty; i++)
				jrnl_entry(&s, s.dirty[i]);
			jrnl_header(&s, true);
		}
		progress(&s, "verify writes %" PRIu64, s.writes);
		/* Read back through a new descriptor, with the page cache dropped: a
		 * FUSE file opened without keep_cache (nvmf-fuse) starts uncached, and
		 * even O_DIRECT reads were seen answered from pages cached by the
		 * writes. What must be checked is what the device holds. */
		close(s.fd);
		s.fd = open(s.file, O_RDONLY | (s.direct ? O_DIRECT : 0));
		if (s.fd < 0) {
			fprintf(stderr, "soak: %s: %s\n", s.file, strerror(errno));
			return 2;
		}
	}
#ifdef POSIX_FADV_DONTNEED
	(void)posix_fadvise(s.fd, 0, 0, POSIX_FADV_DONTNEED);
#endif
	verify(&s);
	progress(&s, "end");
	if (s.torn)
		fprintf(stderr, "soak: %" PRIu64 " blocks torn by failed writes (not counted as "
			"corrupt)\n", s.torn);
	if (stop_flag && !s.quiet)
		fprintf(stderr, "soak: stopped by a signal\n");
	printf("soak: writes=%" PRIu64 " fsyncs=%" PRIu64 " acked=%" PRIu64 " checked=%" PRIu64
	       " lost=%" PRIu64 " corrupt=%" PRIu64 " errors=%" PRIu64 "\n",
	       s.writes, s.fsyncs, s.verify_only ? 0 : s.acked_writes, s.checked, s.lost,
	       s.corrupt, s.errors);
	fflush(stdout);
	rc = s.lost || s.corrupt || (s.errors && !s.allow_errors) ? 1 : 0;
	close(s.fd);
	if (s.jfd >= 0)
		close(s.jfd);
	if (s.pfd >= 0)
		close(s.pfd);
	free(s.buf);
	free(s.acked);
	free(s.written);
	free(s.pending);
	free(s.dirty);
	free(s.failed);
	free(s.in_dirty);
	return rc;
}
