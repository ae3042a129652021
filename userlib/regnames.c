// SPDX-License-Identifier: BSD-3-Clause
/* Names of register field values, taken from the contract's register table. */
#include "lib_internal.h"
#include "kite/regtab.h"

const char *kite_enum_name(unsigned int field, unsigned int value)
{
	size_t i;

	for (i = 0; i < KITE_NENUMS; i++)
		if (kite_enums[i].field == field && kite_enums[i].value == value)
			return kite_enums[i].name;
	return "UNKNOWN";
}
