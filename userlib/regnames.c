// SPDX-License-Identifier: BSD-3-Clause
/* Names of register field values, taken from the contract's register table. */
#include "lib_internal.h"
#include "kite/regtab.h"

const char *kite_enum_name(unsigned int field, unsigned int value)
{
	const char *name = kite_regtab_enum_name(field, value);

	return name ? name : "UNKNOWN";
}
