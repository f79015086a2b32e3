// Self-containedness: <nvmf/endian.h> alone from C++11; the header carries its own extern "C".
#include <nvmf/endian.h>
