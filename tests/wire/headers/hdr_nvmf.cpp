// Self-containedness: <nvmf/nvmf.h> alone from C++11; the header carries its own extern "C".
#include <nvmf/nvmf.h>
