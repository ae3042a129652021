// SPDX-License-Identifier: GPL-2.0
/* The card's control sequences, shared with uio_kite.ko and libkite (hw/kite_hw.h). */
#include "../hw/kite_hw.c"
