/* Self-containedness: <nvmf/endian.h> alone, C11, pedantic, no padding warnings. */
#include <nvmf/endian.h>
