/*
 * Shared by the tools: nvmf-fuse mounts as the mount table shows them, and
 * the detaching of a dead server's mount. nvmfctl disconnect detaches the
 * mount of a stale record; nvmf-fuse does the same before it takes over the
 * name of a dead server (tc_record_claim()), so that the record, the only
 * handle on such a mount, is never dropped while the mount stays.
 */
#ifndef NVMF_TOOLS_MOUNT_H
#define NVMF_TOOLS_MOUNT_H

#include <stdbool.h>

/* What a user types to detach a dead mount by hand (messages). */
#if defined(__FreeBSD__)
#define TC_DETACH_CMD "umount -f"
#else
#define TC_DETACH_CMD "fusermount3 -u -z"
#endif

/* Is an nvmf-fuse file system mounted at path? From the mount table
 * alone: the (possibly dead) file system itself is not touched. */
bool tc_nvmf_mounted(const char *path);

/*
 * Detach the nvmf-fuse mount at path lazily (fusermount3 -u -z, else
 * umount -l; FreeBSD: umount -f), its output discarded, waiting at most
 * 10 s. Only for a mount whose server is gone: a live one would be cut
 * off from its users. Flush stdio before: the helper is forked. 0 when
 * path is no longer an nvmf-fuse mount, -EBUSY when it still is.
 */
int tc_nvmf_detach(const char *path);

#endif
