/* SPDX-License-Identifier: BSD-3-Clause */
/* libkite's version: generated from VERSION by `make version`; do not edit. */
#ifndef KITE_VERSION_H
#define KITE_VERSION_H

/* (the card's contract version is another thing: KITE_VERSION_MAJOR/MINOR, hw.h) */
#define KITE_LIB_VERSION	"0.3.0"
#define KITE_LIB_VERSION_MAJOR	0
#define KITE_LIB_VERSION_MINOR	3
#define KITE_LIB_VERSION_PATCH	0
/** For #if: 10000 * major + 100 * minor + patch */
#define KITE_LIB_VERSION_NUM	(0 * 10000 + 3 * 100 + 0)

#endif /* KITE_VERSION_H */
