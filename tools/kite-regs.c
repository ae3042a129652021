// SPDX-License-Identifier: BSD-3-Clause
/*
 * kite-regs: the firmware engineers' register tool. Every register name,
 * field and value name comes from the contract's register table
 * (include/kite/regs.def via regtab.h); nothing here repeats it.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "kite/regtab.h"
#include "args.h"
#include "pci_list.h"
#include "regs_access.h"

struct ref {
	int reg;	/* kite_regs index */
	int inst;	/* instance */
	int field;	/* kite_fields index, or -1 */
};

static const char *devstr;
static bool opt_json, opt_yes, opt_no_commit;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kite-regs: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint32_t reg_off(const struct ref *r)
{
	return kite_regs[r->reg].offset + (uint32_t)r->inst * kite_regs[r->reg].stride;
}

static uint64_t field_get(int f, uint64_t v)
{
	return (v >> kite_fields[f].lsb) & ((1ULL << kite_fields[f].width) - 1);
}

static const char *enum_name(int f, uint64_t v)
{
	return f < 0 || v > UINT32_MAX ? NULL : kite_regtab_enum_name((unsigned int)f, (unsigned int)v);
}

static void ref_name(const struct ref *r, char *buf, size_t len)
{
	if (kite_regs[r->reg].count > 1)
		snprintf(buf, len, "%s[%d]", kite_regs[r->reg].name, r->inst);
	else
		snprintf(buf, len, "%s", kite_regs[r->reg].name);
}

/* NAME, NAME[i], NAME.FIELD, NAME[i].FIELD; case does not matter. */
static void parse_ref(const char *s, struct ref *r)
{
	char name[64], *dot, *br;
	int i;

	snprintf(name, sizeof(name), "%s", s);
	dot = strchr(name, '.');
	if (dot)
		*dot++ = 0;
	br = strchr(name, '[');
	r->inst = -1;
	if (br) {
		char *end;

		*br++ = 0;
		r->inst = (int)strtol(br, &end, 0);
		if (end == br || strcmp(end, "]"))
			die("'%s': write an instance as NAME[N]", s);
	}
	r->reg = -1;
	for (i = 0; i < KITE_NREGS; i++)
		if (!strcasecmp(kite_regs[i].name, name))
			r->reg = i;
	if (r->reg < 0 && isdigit((unsigned char)name[0]) && !br) {	/* an offset: 0x404 */
		char *end;
		unsigned long off = strtoul(name, &end, 0);

		for (i = 0; *end == 0 && i < KITE_NREGS && r->reg < 0; i++) {
			const struct kite_reg_info *x = &kite_regs[i];

			if (off >= x->offset && (off - x->offset) % (x->stride ? x->stride : 1) == 0 &&
			    (off - x->offset) / (x->stride ? x->stride : 1) < x->count) {
				r->reg = i;
				r->inst = (int)((off - x->offset) / (x->stride ? x->stride : 1));
			}
		}
	}
	if (r->reg < 0)
		die("unknown register '%s' (kite-regs dump lists them)", name);
	if (r->inst < 0 && kite_regs[r->reg].count > 1)
		die("%s has %u instances: say %s[0] .. %s[%u]", kite_regs[r->reg].name,
		    kite_regs[r->reg].count, kite_regs[r->reg].name, kite_regs[r->reg].name,
		    kite_regs[r->reg].count - 1);
	if (r->inst < 0)
		r->inst = 0;
	if (r->inst >= kite_regs[r->reg].count)
		die("%s has instances 0..%u, not %d", kite_regs[r->reg].name,
		    kite_regs[r->reg].count - 1, r->inst);
	r->field = -1;
	if (!dot)
		return;
	for (i = 0; i < KITE_NFIELDS; i++)
		if (kite_fields[i].reg == r->reg && !strcasecmp(kite_fields[i].name, dot))
			r->field = i;
	if (r->field < 0) {
		char known[512] = "";

		for (i = 0; i < KITE_NFIELDS; i++)
			if (kite_fields[i].reg == r->reg)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 " %s", kite_fields[i].name);
		die("%s has no field '%s' (fields:%s)", kite_regs[r->reg].name, dot,
		    known[0] ? known : " none");
	}
}

/* "ENABLE=1 PORT=0 CAUSE=DMA_FAULT" */
static void decode(int reg, uint64_t v, char *buf, size_t len)
{
	size_t n = 0;
	int f;

	buf[0] = 0;
	for (f = 0; f < KITE_NFIELDS && n < len; f++) {
		const char *e;
		uint64_t x;

		if (kite_fields[f].reg != reg)
			continue;
		x = field_get(f, v);
		e = enum_name(f, x);
		if (e)
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "",
					      kite_fields[f].name, e);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%llu", n ? " " : "",
					      kite_fields[f].name, (unsigned long long)x);
	}
	if (n)
		return;
	/* registers without fields: the magic as text, a MAC as a MAC, counters in decimal */
	if (reg == KITE_RI_ID_MAGIC)
		snprintf(buf, len, "\"%c%c%c%c\"", (int)(v >> 24 & 0xff), (int)(v >> 16 & 0xff),
			 (int)(v >> 8 & 0xff), (int)(v & 0xff));
	else if (reg == KITE_RI_P_MAC)
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned int)(v >> 40 & 0xff),
			 (unsigned int)(v >> 32 & 0xff), (unsigned int)(v >> 24 & 0xff),
			 (unsigned int)(v >> 16 & 0xff), (unsigned int)(v >> 8 & 0xff),
			 (unsigned int)(v & 0xff));
	else if (kite_regs[reg].access == KITE_ACC_RO && kite_regs[reg].bits == 64)
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static json_object *reg_json(const struct ref *r, uint64_t v)
{
	json_object *o = json_object_new_object(), *fields = json_object_new_object();
	char name[80];
	int f;

	ref_name(r, name, sizeof(name));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "offset", json_object_new_int64(reg_off(r)));
	json_object_object_add(o, "bits", json_object_new_int(kite_regs[r->reg].bits));
	json_object_object_add(o, "value", json_object_new_int64((int64_t)v));
	for (f = 0; f < KITE_NFIELDS; f++) {
		const char *e;

		if (kite_fields[f].reg != r->reg)
			continue;
		e = enum_name(f, field_get(f, v));
		json_object_object_add(fields, kite_fields[f].name,
				       e ? json_object_new_string(e) :
				       json_object_new_int64((int64_t)field_get(f, v)));
	}
	json_object_object_add(o, "fields", fields);
	return o;
}

static void print_reg(const struct ref *r, uint64_t v, bool hilite)
{
	char name[80], fields[512];

	const char *no_color = getenv("NO_COLOR");	/* no-color.org: set and not empty */
	bool plain = no_color && *no_color;

	ref_name(r, name, sizeof(name));
	decode(r->reg, v, fields, sizeof(fields));
	printf("%s0x%04x %-22s %s0x%0*llx%s  %s\n", hilite ? (plain ? "* " : "\033[7m") : "",
	       reg_off(r), name, "", kite_regs[r->reg].bits / 4, (unsigned long long)v,
	       hilite && !plain ? "\033[0m" : "", fields);
}

static int group_by_name(const char *s)
{
	int g;

	for (g = 0; g < KITE_NGROUPS; g++)
		if (!strncasecmp(kite_group_names[g], s, strlen(s)))
			return g;
	die("unknown group '%s' (identity, global, clock, fault, ports, queues, filters)", s);
}

static int cmd_dump(struct regs_dev *d, const char *group, const char *raw)
{
	json_object *root = NULL, *arr = NULL;
	int g, only = group ? group_by_name(group) : -1;

	if (raw) {	/* --raw OFF[:LEN]: words as the bus returns them */
		unsigned long off = strtoul(raw, NULL, 0), len = 256, i;
		const char *colon = strchr(raw, ':');

		if (colon)
			len = strtoul(colon + 1, NULL, 0);
		if (off % 4 || off >= KITE_BAR_CTRL_SIZE || len > KITE_BAR_CTRL_SIZE - off)
			die("--raw %s: needs a 4-byte aligned range inside BAR0 (64 KiB)", raw);
		for (i = 0; i < len; i += 4) {
			if (i % 16 == 0)
				printf("%s0x%04lx:", i ? "\n" : "", off + i);
			printf(" %08x", (uint32_t)regs_read(d, (uint32_t)(off + i), 32));
		}
		printf("\n");
		return 0;
	}
	if (opt_json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "device", json_object_new_string(d->name));
		json_object_object_add(root, "registers", arr);
	} else {
		printf("kite registers of %s\n", d->name);
	}
	for (g = 0; g < KITE_NGROUPS; g++) {
		int i;

		if (only >= 0 && g != only)
			continue;
		if (!opt_json)
			printf("\n== %s ==\n", kite_group_names[g]);
		for (i = 0; i < KITE_NREGS; i++) {
			struct ref r = { .reg = i, .field = -1 };

			if (kite_regs[i].group != g)
				continue;
			for (r.inst = 0; r.inst < kite_regs[i].count; r.inst++) {
				uint64_t v = regs_read(d, reg_off(&r), kite_regs[i].bits);

				if (opt_json)
					json_object_array_add(arr, reg_json(&r, v));
				else
					print_reg(&r, v, false);
			}
		}
	}
	if (opt_json) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	}
	return 0;
}

static int cmd_get(struct regs_dev *d, int argc, char **argv)
{
	int i;

	if (!argc)
		die("get: which register? (get NAME[N][.FIELD] ...)");
	for (i = 0; i < argc; i++) {
		struct ref r;
		uint64_t v;
		char name[80];

		parse_ref(argv[i], &r);
		v = regs_read(d, reg_off(&r), kite_regs[r.reg].bits);
		ref_name(&r, name, sizeof(name));
		if (r.field >= 0 && opt_json) {	/* one JSON object per line, fields too */
			const char *e = enum_name(r.field, field_get(r.field, v));
			json_object *o = json_object_new_object();
			char full[160];

			snprintf(full, sizeof(full), "%s.%s", name, kite_fields[r.field].name);
			json_object_object_add(o, "name", json_object_new_string(full));
			json_object_object_add(o, "offset", json_object_new_int64(reg_off(&r)));
			json_object_object_add(o, "value",
					       json_object_new_int64((int64_t)field_get(r.field, v)));
			if (e)
				json_object_object_add(o, "meaning", json_object_new_string(e));
			printf("%s\n", json_object_to_json_string(o));
			json_object_put(o);
		} else if (r.field >= 0) {
			const char *e = enum_name(r.field, field_get(r.field, v));

			if (e)
				printf("%s.%s = %s (%llu)\n", name, kite_fields[r.field].name, e,
				       (unsigned long long)field_get(r.field, v));
			else
				printf("%s.%s = %llu\n", name, kite_fields[r.field].name,
				       (unsigned long long)field_get(r.field, v));
		} else if (opt_json) {
			json_object *o = reg_json(&r, v);

			printf("%s\n", json_object_to_json_string(o));
			json_object_put(o);
		} else {
			print_reg(&r, v, false);
		}
	}
	return 0;
}

static uint64_t parse_value(const struct ref *r, const char *s)
{
	unsigned int bits = r->field >= 0 ? kite_fields[r->field].width : kite_regs[r->reg].bits;
	uint64_t max = bits == 64 ? ~0ULL : (1ULL << bits) - 1, v;
	char *end;
	size_t i;

	if (r->field >= 0)
		for (i = 0; i < KITE_NENUMS; i++)
			if (kite_enums[i].field == r->field && !strcasecmp(kite_enums[i].name, s))
				return kite_enums[i].value;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		char known[256] = "";

		for (i = 0; r->field >= 0 && i < KITE_NENUMS; i++)
			if (kite_enums[i].field == r->field)
				snprintf(known + strlen(known), sizeof(known) - strlen(known), " %s",
					 kite_enums[i].name);
		die("'%s' is not a number%s%s%s", s, known[0] ? " or one of" : "", known,
		    known[0] ? "" : r->field >= 0 ? " (this field has no value names)" : "");
	}
	if (v > max)
		die("%s does not fit: %s is %u bits (0..%llu)", s, r->field >= 0 ?
		    kite_fields[r->field].name : kite_regs[r->reg].name, bits,
		    (unsigned long long)max);
	return v;
}

static bool confirm(const char *what)
{
	char line[16];

	if (opt_yes)
		return true;
	if (!isatty(STDIN_FILENO))
		die("not writing %s without confirmation: add --yes", what);
	fprintf(stderr, "write %s? [y/N] ", what);
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

/* hw-spec §3.3: CFG_COMMIT one past what the card acknowledged, then wait for its ACK. */
static int cmd_commit(struct regs_dev *d)
{
	uint32_t seq = (uint32_t)regs_read(d, KITE_R_CFG_ACK, 32) + 1;
	char err[256];
	int i;

	if (regs_write(d, KITE_R_CFG_COMMIT, seq, 32, err, sizeof(err)))
		die("%s", err);
	for (i = 0; i < 1000; i++) {	/* up to 1 s, as kite.ko waits */
		if ((int32_t)((uint32_t)regs_read(d, KITE_R_CFG_ACK, 32) - seq) >= 0) {
			fprintf(stderr, "kite-regs: committed (CFG_COMMIT %u, acknowledged)\n", seq);
			return 0;
		}
		usleep(1000);
	}
	die("CFG_COMMIT %u not acknowledged by the card within 1 s", seq);
}

static int cmd_set(struct regs_dev *d, int argc, char **argv)
{
	char err[256], name[80], what[200], *eq, arg[128];
	struct ref r;
	uint64_t v, old;
	unsigned int bits;

	if (argc != 1 || !strchr(argv[0], '='))
		die("set: say set NAME[N][.FIELD]=VALUE");
	snprintf(arg, sizeof(arg), "%s", argv[0]);
	eq = strchr(arg, '=');
	*eq++ = 0;
	parse_ref(arg, &r);
	ref_name(&r, name, sizeof(name));
	bits = kite_regs[r.reg].bits;
	if (kite_regs[r.reg].access == KITE_ACC_RO)
		die("%s is read-only", name);
	if (r.field >= 0 && kite_fields[r.field].access == KITE_ACC_RO)
		die("%s.%s is read-only", name, kite_fields[r.field].name);
	v = parse_value(&r, eq);
	old = regs_read(d, reg_off(&r), bits);
	if (r.field >= 0) {	/* read-modify-write of one field */
		uint64_t mask = ((1ULL << kite_fields[r.field].width) - 1) << kite_fields[r.field].lsb;

		v = (old & ~mask) | (v << kite_fields[r.field].lsb);
	}
	snprintf(what, sizeof(what), "0x%llx to %s (0x%04x, was 0x%llx)", (unsigned long long)v,
		 name, reg_off(&r), (unsigned long long)old);
	if (!confirm(what)) {
		fprintf(stderr, "kite-regs: nothing written\n");
		return 1;
	}
	if (regs_write(d, reg_off(&r), v, bits, err, sizeof(err)))
		die("%s", err);
	print_reg(&r, regs_read(d, reg_off(&r), bits), false);
	/* hw-spec §3.3: port and filter registers take effect at CFG_COMMIT */
	if (kite_regs[r.reg].group != KITE_GRP_PORT && kite_regs[r.reg].group != KITE_GRP_FILTER)
		return 0;
	if (opt_no_commit) {
		fprintf(stderr, "kite-regs: staged: takes effect at the next commit "
			"(kite-regs commit)\n");
		return 0;
	}
	return cmd_commit(d);
}

/* Every instance of the named registers (or all), sampled each interval. */
static int cmd_watch(struct regs_dev *d, int argc, char **argv, double interval, long count)
{
	struct ref *refs = calloc(4096, sizeof(*refs));
	uint64_t *prev = calloc(4096, sizeof(*prev));
	bool tty = isatty(STDOUT_FILENO);
	double t0 = kite_mono_s();
	int n = 0, i, k;
	long it;

	/* NAME watches every instance; NAME[N] or an offset, that one */
	for (i = 0; i < KITE_NREGS; i++) {
		bool want = argc == 0;

		for (k = 0; k < argc; k++)
			if (!strcasecmp(argv[k], kite_regs[i].name))
				want = true;
		for (k = 0; want && k < kite_regs[i].count; k++)
			refs[n++] = (struct ref){ .reg = i, .inst = k, .field = -1 };
	}
	for (k = 0; k < argc; k++) {
		for (i = 0; i < KITE_NREGS && strcasecmp(argv[k], kite_regs[i].name); i++)
			;
		if (i == KITE_NREGS && n < 4096) {	/* not a bare name: NAME[N] or offset */
			parse_ref(argv[k], &refs[n]);
			refs[n++].field = -1;
		}
	}
	for (it = 0; count < 0 || it < count; it++) {
		if (tty)
			printf("\033[H\033[2Jkite-regs watch %s, every %.1f s (changes %s)\n",
			       d->name, interval, getenv("NO_COLOR") && *getenv("NO_COLOR") ?
			       "marked *" : "in reverse video");
		for (i = 0; i < n; i++) {
			uint64_t v = regs_read(d, reg_off(&refs[i]), kite_regs[refs[i].reg].bits);
			bool changed = it > 0 && v != prev[i];

			if (tty) {
				print_reg(&refs[i], v, changed);
			} else if (changed) {	/* a log of changes, for scripts */
				char name[80];

				ref_name(&refs[i], name, sizeof(name));
				printf("%.3f %s 0x%llx -> 0x%llx\n", kite_mono_s() - t0, name,
				       (unsigned long long)prev[i], (unsigned long long)v);
			}
			prev[i] = v;
		}
		fflush(stdout);
		if (count < 0 || it + 1 < count)
			usleep((useconds_t)(interval * 1e6));
	}
	free(refs);
	free(prev);
	return 0;
}

/* The "registers" array of a dump --json file; *root is what to free. */
static json_object *load(const char *path, json_object **root)
{
	json_object *regs;

	*root = json_object_from_file(path);
	if (!*root || !json_object_object_get_ex(*root, "registers", &regs) ||
	    !json_object_is_type(regs, json_type_array))
		die("%s: not a kite-regs dump --json file", path);
	return regs;
}

static int cmd_diff(const char *a, const char *b)
{
	json_object *root_a, *root_b, *ra = load(a, &root_a), *rb = load(b, &root_b);
	size_t i, j, na = json_object_array_length(ra), nb = json_object_array_length(rb);
	int differ = 0;

	for (i = 0; i < na; i++) {
		json_object *x = json_object_array_get_idx(ra, i), *name, *va, *vb, *fa, *fb;
		const char *nm;

		json_object_object_get_ex(x, "name", &name);
		json_object_object_get_ex(x, "value", &va);
		nm = json_object_get_string(name);
		for (j = 0; j < nb; j++) {
			json_object *y = json_object_array_get_idx(rb, j), *n2;

			json_object_object_get_ex(y, "name", &n2);
			if (strcmp(nm, json_object_get_string(n2)))
				continue;
			json_object_object_get_ex(y, "value", &vb);
			if (json_object_get_int64(va) == json_object_get_int64(vb))
				break;
			differ = 1;
			printf("%-22s 0x%llx -> 0x%llx", nm,
			       (unsigned long long)json_object_get_int64(va),
			       (unsigned long long)json_object_get_int64(vb));
			json_object_object_get_ex(x, "fields", &fa);
			json_object_object_get_ex(y, "fields", &fb);
			json_object_object_foreach(fa, key, fv) {
				json_object *gv;

				if (json_object_object_get_ex(fb, key, &gv) &&
				    strcmp(json_object_get_string(fv), json_object_get_string(gv)))
					printf("  %s: %s -> %s", key, json_object_get_string(fv),
					       json_object_get_string(gv));
			}
			printf("\n");
			break;
		}
	}
	json_object_put(root_a);
	json_object_put(root_b);
	return differ;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kite-regs [-d DEV] COMMAND\n"
		"\n"
		"  list                          kite cards on the PCI bus (libpci)\n"
		"  dump [--json] [--group G] [--raw OFF[:LEN]]\n"
		"                                every register, decoded, grouped as in hw-spec\n"
		"  get NAME[N][.FIELD] ...       one register or field\n"
		"  set NAME[N][.FIELD]=VALUE     write (asks first unless --yes); VALUE is a number\n"
		"                                or a value name (e.g. F_CTRL[0].TYPE=UDP_DST);\n"
		"                                port and filter writes are committed (hw-spec §3.3)\n"
		"                                unless --no-commit\n"
		"  watch [NAME...] [-i SEC] [-n COUNT]\n"
		"                                redraw every SEC, changes in reverse video\n"
		"                                (not a terminal: one line per change)\n"
		"  commit                        apply staged port and filter writes (CFG_COMMIT)\n"
		"  diff FILE1 FILE2              compare two dump --json files (exit 1 if they differ)\n"
		"\n"
		"  -d, --dev DEV   emu:PATH, /dev/kiteN, or a PCI address (through kite.ko if bound\n"
		"                  to it, else sysfs resource0: root, any driver). Default: $KITE_DEV,\n"
		"                  then the first card libpci finds\n"
		"  -y, --yes       do not ask before writing\n"
		"      --no-commit stage port and filter writes (apply several with commit)\n"
		"  -j, --json      JSON output (dump, get)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", required_argument, NULL, 'd' }, { "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' }, { "group", required_argument, NULL, 'g' },
		{ "raw", required_argument, NULL, 'r' }, { "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' },
		{ "no-commit", no_argument, NULL, 'C' },
		{ 0 }
	};
	const char *group = NULL, *raw = NULL, *cmd;
	double interval = 1;
	long count = -1;
	struct regs_dev d;
	char err[256];
	int c, rc;

	tool_version(argc, argv, "kite-regs");
	/* options may stand before or after the command (GNU getopt permutes) */
	while ((c = getopt_long(argc, argv, "d:yjg:r:i:n:h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': devstr = optarg; break;
		case 'y': opt_yes = true; break;
		case 'C': opt_no_commit = true; break;
		case 'j': opt_json = true; break;
		case 'g': group = optarg; break;
		case 'r': raw = optarg; break;
		case 'i': interval = arg_double("kite-regs", 'i', optarg, 0.001, 86400); break;
		case 'n': count = arg_long("kite-regs", 'n', optarg, 1, 1000000000); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "list")) {
		const char *model = devstr ? devstr : getenv("KITE_DEV");
		int n = pci_list(stdout, NULL, 0);

		/* the model is no PCI device, but a card all the same */
		if (model && !strncmp(model, "emu:", 4) && !regs_open(model, &d, err, sizeof(err))) {
			uint32_t ver = (uint32_t)regs_read(&d, KITE_R_ID_VERSION, 32);
			uint32_t caps = (uint32_t)regs_read(&d, KITE_R_ID_CAPS, 32);

			printf("%s  kite-emu (the model, not on the PCI bus)  contract v%u.%u, %u ports, "
			       "%u queues\n", model, (unsigned int)KITE_FGET(KITE_ID_VERSION_MAJOR, ver),
			       (unsigned int)KITE_FGET(KITE_ID_VERSION_MINOR, ver),
			       (unsigned int)KITE_FGET(KITE_ID_CAPS_NUM_PORTS, caps),
			       (unsigned int)KITE_FGET(KITE_ID_CAPS_NUM_QUEUES, caps));
			regs_close(&d);
			n++;
		}
		if (n <= 0)
			die("no kite card found on the PCI bus (vendor %04x device %04x, or bound to "
			    "kite.ko)", KITE_PCI_VENDOR_ID, KITE_PCI_DEVICE_ID);
		return 0;
	}
	if (!strcmp(cmd, "names")) {	/* for shell completion */
		int i;

		for (i = 0; i < KITE_NREGS; i++)
			puts(kite_regs[i].name);
		return 0;
	}
	if (!strcmp(cmd, "diff")) {
		if (argc - optind != 2)
			die("diff: say diff FILE1 FILE2");
		return cmd_diff(argv[optind], argv[optind + 1]);
	}
	if (strcmp(cmd, "dump") && strcmp(cmd, "get") && strcmp(cmd, "set") && strcmp(cmd, "watch") &&
	    strcmp(cmd, "commit")) {
		fprintf(stderr, "kite-regs: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (regs_open(devstr, &d, err, sizeof(err)))
		die("%s", err);
	if (!strcmp(cmd, "dump"))
		rc = cmd_dump(&d, group, raw);
	else if (!strcmp(cmd, "get"))
		rc = cmd_get(&d, argc - optind, argv + optind);
	else if (!strcmp(cmd, "set"))
		rc = cmd_set(&d, argc - optind, argv + optind);
	else if (!strcmp(cmd, "commit"))
		rc = cmd_commit(&d);
	else
		rc = cmd_watch(&d, argc - optind, argv + optind, interval, count);
	regs_close(&d);
	return rc;
}
