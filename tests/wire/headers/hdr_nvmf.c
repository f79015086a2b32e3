/* Self-containedness: <nvmf/nvmf.h> (the public API) alone, C11, pedantic. */
#include <nvmf/nvmf.h>
