/*
 * The data a host reads from a controller (src/host/parse.c) and what the
 * tools make of it (nvmfctl's discovery log output): byte 0 picks the
 * page, byte 1 the context the host has, the rest is the page as the
 * controller sent it. Identify data is a 4096-byte transfer: a shorter
 * input is the start of one, the rest zero, as a controller that fills
 * less would leave it.
 *   0 Identify Controller (CNS 01h), as an I/O or a discovery controller
 *   1 Identify Namespace (CNS 00h) with the controller's ONCS and VWC
 *   2 the active namespace list (CNS 02h)
 *   3 the discovery log page (log 70h), read in pieces of a transfer
 *     size from byte 1, as host_fetch_discovery_log() reads it: reads
 *     past the input fail as a controller's Get Log Page would. A log
 *     that parses goes through nvmfctl's printers (normal and JSON), and
 *     its raw form (discover --raw) parses back to the same records.
 *   4 the Namespace Identification Descriptor list (CNS 03h)
 */
#include "parse_util.h"

#include <errno.h>

#include "host/host.h"
#include "nvmfctl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_stdio();
	return 0;
}

struct page {
	const uint8_t *p;
	size_t len;
};

static int page_read(void *arg, uint64_t offset, void *buf, uint32_t len)
{
	const struct page *pg = arg;

	if (offset >= pg->len)
		return -EIO;
	if (len > pg->len - offset) {
		memcpy(buf, pg->p + offset, pg->len - offset);
		memset((uint8_t *)buf + (pg->len - offset), 0, len - (pg->len - offset));
	} else {
		memcpy(buf, pg->p + offset, len);
	}
	return 0;
}

static void same_records(const struct nvmf_disc_list *a, const struct nvmf_disc_list *b)
{
	if (a->nr_entries != b->nr_entries || a->genctr != b->genctr)
		abort();
	for (uint32_t i = 0; i < a->nr_entries; i++) {
		const struct nvmf_disc_rec *x = &a->entries[i], *y = &b->entries[i];

		if (x->trtype != y->trtype || x->adrfam != y->adrfam || x->subtype != y->subtype ||
		    x->portid != y->portid || x->cntlid != y->cntlid || x->eflags != y->eflags ||
		    strcmp(x->traddr, y->traddr) || strcmp(x->trsvcid, y->trsvcid) ||
		    strcmp(x->subnqn, y->subnqn) || memcmp(x->tsas, y->tsas, sizeof(x->tsas)))
			abort();
	}
}

static void disc_log(const uint8_t *p, size_t len, uint8_t ctx)
{
	struct page pg = { p, len }, pg2;
	struct nvmf_disc_list *log, *log2;
	uint32_t max_xfer = 1024u << (ctx % 4);	/* 1 to 8 KiB per read */
	json_object *j;
	uint8_t *raw;
	size_t rawlen;

	/* NUMREC beyond the page fails at the read past it, after a buffer
	 * of NUMREC records (up to 4 MiB) was allocated and zeroed: a
	 * thousand times the cost of any other input, for one error path. */
	if (len >= 16 && nvmf_get_le64(p + 8) > len / HOST_DISC_ENTRY_LEN)
		return;
	if (host_fetch_discovery_log(page_read, &pg, max_xfer, &log) < 0)
		return;
	nc_disc_print(log);
	j = nc_disc_json(log);
	if (!j)
		abort();
	(void)json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY);
	json_object_put(j);
	if (nc_disc_raw(log, &raw, &rawlen) < 0)
		abort();
	/* --raw writes the page as read: the input, zeros past its end. */
	for (size_t i = 0; i < rawlen; i++)
		if (raw[i] != (i < len ? p[i] : 0))
			abort();
	pg2.p = raw;
	pg2.len = rawlen;
	if (host_fetch_discovery_log(page_read, &pg2, 4096, &log2) < 0)
		abort();
	same_records(log, log2);
	nvmf_free(log2);
	free(raw);
	nvmf_free(log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t id[HOST_IDENTIFY_LEN];
	struct nvmf_ctrl_info ci;
	struct nvmf_ns_info ni;
	uint32_t nsids[NVMF_NS_LIST_MAX];
	const uint8_t *p = data + 2;
	size_t len;
	uint8_t ctx;
	int n;

	if (size < 2)
		return 0;
	ctx = data[1];
	len = size - 2;
	if (data[0] % 5 == 3) {
		disc_log(p, len, ctx);
		return 0;
	}
	memset(id, 0, sizeof(id));
	memcpy(id, p, len < sizeof(id) ? len : sizeof(id));
	switch (data[0] % 5) {
	case 0:
		memset(&ci, 0, sizeof(ci));
		ci.discovery = ctx & 1;
		if (host_parse_id_ctrl(id, &ci) == 0 &&
		    (strnlen(ci.sn, sizeof(ci.sn)) == sizeof(ci.sn) ||
		     strnlen(ci.mn, sizeof(ci.mn)) == sizeof(ci.mn) ||
		     strnlen(ci.subnqn, sizeof(ci.subnqn)) == sizeof(ci.subnqn)))
			abort();
		break;
	case 1:
		memset(&ci, 0, sizeof(ci));
		ci.oncs = ctx;
		ci.vwc = ctx >> 7;
		/* Zero size (an inactive NSID's zeroes) is unsupported, with
		 * no format; anything else has a real one. */
		if (host_parse_id_ns(id, 1, &ci, &ni) == 0 &&
		    (ni.nsze == 0 ? ni.supported || ni.size != 0 :
		     ni.lba_size < 512 || ni.size / ni.lba_size != ni.nsze))
			abort();
		break;
	case 2:
		n = host_parse_ns_list(id, nsids, NVMF_NS_LIST_MAX);
		for (int i = 1; i < n; i++)
			if (nsids[i] <= nsids[i - 1])
				abort();
		break;
	case 4: {
		uint8_t uuid[16] = { 0 };

		n = host_parse_ns_desc(id, sizeof(id), uuid);
		if (n < 0 || n > 255)
			abort();
		break;
	}
	}
	return 0;
}
