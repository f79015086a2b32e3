/*
 * nvmf-ls: connect to an NVMe/TCP controller by URI and print what it has.
 *
 *   nvmf-ls nvme+tcp://127.0.0.1/nqn.2014-08.org.example:disk   namespaces + first block
 *   nvmf-ls nvme+tcp://127.0.0.1:8009                           the discovery log
 *
 * Only the public API of <nvmf/nvmf.h> is used; build it against an
 * installed libnvmf with  cc nvmf-ls.c $(pkg-config --cflags --libs libnvmf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nvmf/nvmf.h>

static void hexdump(const uint8_t *p, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		printf("  %06zx ", off);
		for (size_t i = 0; i < 16; i++)
			printf(" %02x", p[off + i]);
		printf("  ");
		for (size_t i = 0; i < 16; i++)
			putchar(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.');
		putchar('\n');
	}
}

static int discovery(struct nvmf_ctrl *c)
{
	struct nvmf_disc_list *d;

	if (nvmf_discovery_log_get(c, &d) < 0) {
		fprintf(stderr, "nvmf-ls: %s\n", nvmf_get_error());
		return 1;
	}
	printf("discovery log: generation %llu, %u entries\n", (unsigned long long)d->genctr,
	       d->nr_entries);
	for (uint32_t i = 0; i < d->nr_entries; i++) {
		const struct nvmf_disc_rec *e = &d->entries[i];

		printf("  %-27s %s %s %s port %s portid %u\n    %s\n",
		       nvmf_disc_subtype_str(e->subtype), nvmf_disc_trtype_str(e->trtype),
		       nvmf_disc_adrfam_str(e->adrfam), e->traddr, e->trsvcid, e->portid,
		       e->subnqn);
	}
	nvmf_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	struct nvmf_opts o;
	struct nvmf_ctrl *c;
	struct nvmf_ctrl_info ci;
	struct nvmf_ns_info *ns;
	int n, rc = 0;

	if (argc != 2 || strcmp(argv[1], "-h") == 0) {
		fprintf(stderr, "usage: nvmf-ls nvme+tcp://host[:port]/subnqn[/nsid]\n");
		return 2;
	}
	nvmf_opts_init(&o);
	o.nr_io_queues = 1;
	if (nvmf_opts_set_uri(&o, argv[1]) < 0 || nvmf_connect(&o, &c) < 0) {
		fprintf(stderr, "nvmf-ls: %s\n", nvmf_get_error());
		return 1;
	}
	nvmf_ctrl_get_info(c, &ci);
	printf("controller %u of %s\n  model '%s' serial '%s' firmware '%s', NVMe %u.%u\n",
	       ci.cntlid, ci.subnqn, ci.mn, ci.sn, ci.fr, ci.vs >> 16, (ci.vs >> 8) & 0xff);
	if (ci.discovery) {
		rc = discovery(c);
		nvmf_disconnect(c);
		return rc;
	}
	n = nvmf_get_namespaces(c, &ns);
	if (n < 0) {
		fprintf(stderr, "nvmf-ls: %s\n", nvmf_get_error());
		nvmf_disconnect(c);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		uint8_t *blk;

		if (o.nsid && ns[i].nsid != o.nsid)
			continue;
		printf("namespace %u: %llu blocks of %u bytes (%llu bytes)%s%s%s\n", ns[i].nsid,
		       (unsigned long long)ns[i].nsze, ns[i].lba_size,
		       (unsigned long long)ns[i].size, ns[i].read_only ? ", read-only" : "",
		       ns[i].write_zeroes ? ", write-zeroes" : "", ns[i].deallocate ? ", deallocate" : "");
		if (!ns[i].supported) {
			printf("  unsupported: %s\n", ns[i].reason);
			continue;
		}
		blk = malloc(ns[i].lba_size);
		if (!blk || nvmf_read(c, ns[i].nsid, blk, 0, 1, 0) < 0) {
			fprintf(stderr, "nvmf-ls: %s\n", blk ? nvmf_get_error() : "out of memory");
			rc = 1;
		} else {
			printf("  block 0:\n");
			hexdump(blk, ns[i].lba_size);
		}
		free(blk);
	}
	nvmf_free(ns);
	if (nvmf_disconnect(c) < 0)
		fprintf(stderr, "nvmf-ls: %s\n", nvmf_get_error());
	return rc;
}
