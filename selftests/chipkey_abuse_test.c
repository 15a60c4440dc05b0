// SPDX-License-Identifier: GPL-2.0
/*
 * chipkey abuse: random and malformed ioctls, mutated packages, unbinding
 * under load and unprivileged callers, every outcome counted per errno.
 *
 *   chipkey_abuse_test [N [SEED]]   (or CK_ABUSE_N / CK_ABUSE_SEED)
 *
 * N (default 2000) is the number of calls of each random test; SEED
 * (default: from the clock) is printed, so a failing run can be repeated.
 * Built 64-bit and 32-bit (the compat path of a 64-bit kernel).
 *
 * What each class of call may answer (anything else fails the test):
 *   command outside the chipkey type (_IOC_TYPE != 0xC7), except
 *     the types the VFS answers itself (0x00, 'T', 'X', 'f', 0x94):  ENOTTY
 *   chipkey type, a number none of CHIPKEY_IOC_* has:                 ENOTTY;
 *     with _IOC_NR < 32 (room for ioctls added later, which need
 *     CAP_SYS_ADMIN and validate their input) also the "known" set
 *   a CHIPKEY_IOC_* with a random structure and bad, NULL, unmapped or
 *     straddling pointers ("known"): EFAULT EINVAL EMSGSIZE ENOSPC
 *     ENOKEY EBADMSG EDOM, or 0 except for UNWRAP and SEALED_WRAP (a
 *     random input is never a package: 0 fails)
 *   UNWRAP of a wrapped package with bytes flipped, cut off or appended:
 *     EBADMSG EINVAL ENOKEY ENOSPC EMSGSIZE; 0 fails, and so does the
 *     plaintext anywhere in the output buffer
 *   any of the above while the device is unbound: also ENODEV
 *   uid 65534 or root without CAP_SYS_ADMIN: WRAP, UNWRAP, ATTEST,
 *     SEALED_WRAP, CHIP_MAC and every unknown chipkey number: EPERM or
 *     ENOTTY only (never a result)
 * The kernel log (KASAN, UBSAN, lockdep, warnings) is checked by the VM
 * harness after the run.
 */
#include "chipkey_common.h"
#include "chipkey_caps.h"
#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"

#define CK_DRV		"/sys/bus/platform/drivers/chipkey"
#define BUF_LEN		(CHIPKEY_MAX_PACKAGE + 4096)
#define MAX_ERRNO	160

enum cls { C_OUT, C_UNKNOWN, C_KNOWN, C_MUTATED, C_RACE, C_UNPRIV, C_N };
static const char *const cls_name[C_N] = {
	"foreign command", "unknown chipkey number", "chipkey ioctl, random input",
	"unwrap of a mutated package", "wrap/unwrap while unbinding", "unprivileged",
};

static long abuse_n = 2000;
static uint64_t seed;
static unsigned long counts[C_N][MAX_ERRNO + 1];	/* [class][errno]; 0: success */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

static const unsigned long known[] = {
	CHIPKEY_IOC_INFO, CHIPKEY_IOC_WRAP, CHIPKEY_IOC_UNWRAP, CHIPKEY_IOC_ROM_KEY,
	CHIPKEY_IOC_ATTEST_KEY, CHIPKEY_IOC_ATTEST, CHIPKEY_IOC_SEALED_WRAP,
	CHIPKEY_IOC_CHIP_MAC,
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void rnd_fill(uint64_t *s, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = (uint8_t)rnd(s);
}

/* Count errno @e (0: success) in @c; true if the set @ok allows it. */
static bool tally(enum cls c, int e, const int *ok)
{
	bool fine = false;

	for (; *ok >= 0; ok++)
		fine |= *ok == e;
	pthread_mutex_lock(&count_lock);
	counts[c][e >= 0 && e < MAX_ERRNO ? e : MAX_ERRNO]++;	/* MAX_ERRNO: other */
	pthread_mutex_unlock(&count_lock);
	return fine;
}

static void report(void)
{
	for (int c = 0; c < C_N; c++) {
		char line[1024];
		size_t n = 0;

		for (int e = 0; e <= MAX_ERRNO; e++)
			if (counts[c][e] && n < sizeof(line) - 64)
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      !e ? "ok" : e == MAX_ERRNO ? "other" :
					      strerrorname_np(e) ?: "?", counts[c][e]);
		if (n)
			printf("# outcomes, %s:%s\n", cls_name[c], line);
	}
}

static bool is_known(unsigned long cmd)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (cmd == known[i])
			return true;
	return false;
}

/*
 * Memory to point at: a buffer, and two pages of which the second is
 * unmapped (a pointer near the end of the first straddles into the hole).
 * The buffer ends at a hole too: the kernel writes wherever a valid pointer
 * and length say, and must not reach the heap of this test.
 */
struct arena {
	uint8_t *buf;		/* BUF_LEN bytes, an unmapped page right after */
	uint8_t *pages;		/* page 0 mapped, page 1 unmapped */
	size_t page;
	uint8_t *map;		/* buf's mapping */
	size_t map_len;
};

static int arena_init(struct arena *a)
{
	a->page = (size_t)sysconf(_SC_PAGESIZE);
	a->map_len = (BUF_LEN + a->page - 1) / a->page * a->page;
	a->map = mmap(NULL, a->map_len + a->page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a->pages = mmap(NULL, 2 * a->page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->map == MAP_FAILED || a->pages == MAP_FAILED)
		return -1;
	a->buf = a->map + a->map_len - BUF_LEN;
	if (munmap(a->map + a->map_len, a->page))
		return -1;
	return munmap(a->pages + a->page, a->page);
}

static void arena_free(struct arena *a)
{
	munmap(a->map, a->map_len);
	munmap(a->pages, a->page);
}

/* A pointer an attacker might pass, as a __u64. */
static uint64_t bad_ptr(uint64_t *s, struct arena *a)
{
	switch (rnd(s) % 7) {
	case 0: return 0;
	case 1: return (uintptr_t)a->buf;
	case 2: return (uintptr_t)(a->pages + a->page - 1 - rnd(s) % 64);	/* straddles */
	case 3: return (uintptr_t)(a->pages + a->page);			/* unmapped */
	case 4: return 0xffff800000000000ull + (rnd(s) & 0xffffff);	/* kernel */
	case 5: return rnd(s) | 1ull << 47;	/* anything, but nothing of this process */
	default: return (uintptr_t)(a->buf + rnd(s) % BUF_LEN);		/* runs off the end */
	}
}

/* A length: small, a limit and its neighbours, or anything. */
static uint32_t bad_len(uint64_t *s)
{
	static const uint32_t edge[] = {
		0, 1, CHIPKEY_PKG_OVERHEAD - 1, CHIPKEY_PKG_OVERHEAD, CHIPKEY_MAX_PAYLOAD,
		CHIPKEY_MAX_PAYLOAD + 1, CHIPKEY_MAX_PACKAGE, CHIPKEY_MAX_PACKAGE + 1,
		CHIPKEY_MAX_CONTEXT, CHIPKEY_MAX_CONTEXT + 1, 0xffffffffu, 0x80000000u,
	};

	switch (rnd(s) % 3) {
	case 0: return (uint32_t)(rnd(s) % 256);
	case 1: return edge[rnd(s) % (sizeof(edge) / sizeof(edge[0]))];
	default: return (uint32_t)rnd(s);
	}
}

/*
 * A random structure for @cmd in @arg (at most 512 bytes): random bytes,
 * with pointers and lengths at the offsets of the chipkey structures made
 * plausible or hostile, and flags/reserved zeroed half of the time (so
 * that calls get past the first checks).
 */
static void random_struct(uint64_t *s, struct arena *a, void *arg, size_t size)
{
	uint64_t *q = arg;
	uint32_t *l = arg;

	rnd_fill(s, arg, size);
	if (rnd(s) & 1)
		memset((uint8_t *)arg + 16, 0, size > 16 ? size - 16 : 0);
	/* the first two 64-bit words are pointers in xfer, rom_key, sealed_wrap,
	 * chip_mac and attest (context_ptr); the next two 32-bit words lengths */
	if (size >= 16) {
		q[0] = bad_ptr(s, a);
		q[1] = bad_ptr(s, a);
	}
	if (size >= 24) {
		l[4] = bad_len(s);
		l[5] = bad_len(s);
	}
}

static const int ok_foreign[] = { ENOTTY, -1 };
static const int ok_known[] = { 0, EFAULT, EINVAL, EMSGSIZE, ENOSPC, ENOKEY, EBADMSG, EDOM, -1 };
static const int ok_known_nores[] = { EFAULT, EINVAL, EMSGSIZE, ENOSPC, ENOKEY, EBADMSG, EDOM, -1 };
static const int ok_mutated[] = { EBADMSG, EINVAL, ENOKEY, ENOSPC, EMSGSIZE, -1 };
static const int ok_unpriv[] = { EPERM, ENOTTY, -1 };

static bool foreign_type(unsigned int t)
{
	return t == 0 || t == 'T' || t == 'X' || t == 'f' || t == 0x94 || t == CHIPKEY_IOC_MAGIC;
}

/*
 * A package a random WRAP wrote into the arena is wiped: a later random
 * UNWRAP that points at it would rightly succeed, and any UNWRAP success
 * is to mean a forged package.
 */
static void wipe_output(struct arena *a, const struct chipkey_xfer *x)
{
	uint8_t *regions[2] = { a->buf, a->pages };
	size_t lens[2] = { BUF_LEN, a->page };

	for (int i = 0; i < 2; i++) {
		uint64_t lo = (uintptr_t)regions[i], hi = lo + lens[i];
		uint64_t from = x->out_ptr > lo ? x->out_ptr : lo;
		uint64_t to = x->out_ptr + x->out_len < hi ? x->out_ptr + x->out_len : hi;

		if (from < to)
			memset((void *)(uintptr_t)from, 0, (size_t)(to - from));
	}
}

/* One random call; false (with @why) if its outcome is not allowed. */
static bool random_call(int fd, uint64_t *s, struct arena *a, char *why, size_t wlen)
{
	uint8_t st[512] __attribute__((aligned(8)));
	unsigned long cmd;
	const int *ok;
	enum cls c;
	void *arg = st;
	int r, e;

	switch (rnd(s) % 3) {
	case 0:		/* another driver's number */
		do
			cmd = (uint32_t)rnd(s);
		while (foreign_type(_IOC_TYPE(cmd)));
		c = C_OUT;
		break;
	case 1:		/* ours, any number, direction, size */
		cmd = _IOC(rnd(s) & 3, CHIPKEY_IOC_MAGIC, rnd(s) % 64, rnd(s) % (_IOC_SIZEMASK + 1));
		c = is_known(cmd) ? C_KNOWN : C_UNKNOWN;
		break;
	default:	/* one of ours, random input */
		cmd = known[rnd(s) % NKNOWN];
		c = C_KNOWN;
		break;
	}
	random_struct(s, a, st, sizeof(st));
	switch (rnd(s) % 8) {	/* the structure itself sometimes at a bad address */
	case 0: arg = NULL; break;
	case 1:		/* its start mapped, its end in the hole */
		arg = a->pages + a->page - 1 - rnd(s) % 32;
		rnd_fill(s, arg, (size_t)(a->pages + a->page - (uint8_t *)arg));
		break;
	case 2: arg = a->pages + a->page; break;
	}
	r = ioctl(fd, cmd, arg);
	e = r ? errno : 0;
	if (r && r != -1)
		e = 1000;	/* no ioctl here returns anything but 0 or -1 */
	if (!r && cmd == CHIPKEY_IOC_WRAP && arg == st)
		wipe_output(a, (const struct chipkey_xfer *)st);
	if (c == C_OUT)
		ok = ok_foreign;
	else if (c == C_UNKNOWN)
		ok = _IOC_NR(cmd) < 32 && e != ENOTTY ? ok_known : ok_foreign;
	else
		ok = cmd == CHIPKEY_IOC_UNWRAP || cmd == CHIPKEY_IOC_SEALED_WRAP ?
		     ok_known_nores : ok_known;
	if (c == C_UNKNOWN && ok == ok_known)
		c = C_KNOWN;	/* a newer ioctl than this test knows */
	if (tally(c, e, ok))
		return true;
	snprintf(why, wlen, "cmd 0x%08lx (%s) arg %p: %s", cmd, cls_name[c], arg,
		 e ? strerror(e) : "success");
	return false;
}

/*
 * Long runs (make stress): the harness's alarm must not cut them.  Each
 * test runs in a child of its own (the harness forks) and reports the
 * outcomes it counted.
 */
FIXTURE(abuse) {};
FIXTURE_SETUP(abuse) {}
FIXTURE_TEARDOWN(abuse) {}

static long env_or(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

TEST_F_TIMEOUT(abuse, random_ioctls, 20000)
{
	struct arena a;
	char why[256];
	long i, bad = 0;
	uint64_t s = seed;
	int fd = ck_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, arena_init(&a));
	for (i = 0; i < abuse_n; i++)
		if (!random_call(fd, &s, &a, why, sizeof(why)) && bad++ < 10)
			TH_LOG("%s", why);
	EXPECT_EQ(0, bad) TH_LOG("%ld calls of %ld with an outcome not allowed", bad, abuse_n);
	report();
	arena_free(&a);
	close(fd);
}

/* Wrap @len random bytes; mutate the package; unwrap must refuse it. */
static bool mutated_unwrap(int fd, uint64_t *s, struct arena *a, char *why, size_t wlen)
{
	uint8_t *in = a->buf, *pkg = a->buf + 8192, *out = a->buf + 2 * 8192;
	size_t len = rnd(s) % 2048, plen = 4096 + CHIPKEY_PKG_OVERHEAD, olen, k;
	const char *how;
	int r;

	rnd_fill(s, in, len);
	r = ck_wrap(fd, in, len, rnd(s) >> 1, pkg, &plen);
	if (r) {
		snprintf(why, wlen, "wrap of %zu bytes: %s", len, strerror(-r));
		return false;
	}
	switch (rnd(s) % 4) {
	case 0:
		how = "bit flipped";
		pkg[rnd(s) % plen] ^= (uint8_t)(1u << (rnd(s) % 8));
		break;
	case 1:
		how = "cut";
		plen -= 1 + rnd(s) % plen;
		break;
	case 2:
		how = "extended";
		k = 1 + rnd(s) % 64;
		rnd_fill(s, pkg + plen, k);
		plen += k;
		break;
	default:
		how = "byte replaced and cut";
		k = rnd(s) % plen;
		pkg[k] = (uint8_t)~pkg[k];
		plen -= rnd(s) % (plen - k);	/* the changed byte stays */
		break;
	}
	memset(out, 0, 4096);
	olen = 4096;
	r = ck_unwrap(fd, pkg, plen, out, &olen, NULL);
	if (!tally(C_MUTATED, -r, ok_mutated) ||
	    (len >= 8 && memmem(out, 4096, in, len))) {
		snprintf(why, wlen, "unwrap of a %s package (%zu bytes of plaintext): %s%s", how,
			 len, r ? strerror(-r) : "success",
			 len >= 8 && memmem(out, 4096, in, len) ? ", plaintext returned" : "");
		return false;
	}
	return true;
}

TEST_F_TIMEOUT(abuse, mutated_packages, 20000)
{
	struct arena a;
	char why[256];
	long i, bad = 0, n = abuse_n / 4 + 1;
	uint64_t s = seed ^ 0x5eed;
	int fd = ck_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, arena_init(&a));
	for (i = 0; i < n; i++)
		if (!mutated_unwrap(fd, &s, &a, why, sizeof(why)) && bad++ < 10)
			TH_LOG("%s", why);
	EXPECT_EQ(0, bad) TH_LOG("%ld of %ld mutated packages not refused", bad, n);
	report();
	arena_free(&a);
	close(fd);
}

/* ---- wrap/unwrap while the device is unbound and bound again ---- */

struct racer {
	pthread_t t;
	unsigned int id;
	volatile bool *stop;
	long rounds, wrong, bad_errno;
	char why[160];
};

static void *race(void *arg)
{
	static const int ok_race[] = { ENODEV, -1 };
	struct racer *w = arg;
	uint8_t in[600], pkg[600 + CHIPKEY_PKG_OVERHEAD], out[600];
	uint64_t s = seed + w->id * 7919 + 1, gen = 0;
	int fd = -1;

	while (!*w->stop) {
		size_t len = rnd(&s) % sizeof(in), plen = sizeof(pkg), olen = sizeof(out);
		int r;

		if (fd < 0) {
			fd = ck_open();
			if (fd < 0) {	/* unbound: no device node */
				usleep(1000);
				continue;
			}
		}
		rnd_fill(&s, in, len);
		r = ck_wrap(fd, in, len, w->rounds, pkg, &plen);
		if (!r) {
			memset(out, 0, sizeof(out));
			r = ck_unwrap(fd, pkg, plen, out, &olen, &gen);
			if (!r && (olen != len || memcmp(in, out, len) || gen != (uint64_t)w->rounds)) {
				w->wrong++;
				snprintf(w->why, sizeof(w->why), "unwrap of %zu bytes: wrong result", len);
			}
		}
		if (!tally(C_RACE, -r, r ? ok_race : (const int[]){ 0, -1 })) {
			w->bad_errno++;
			snprintf(w->why, sizeof(w->why), "%s", strerror(-r));
		}
		if (r == -ENODEV) {	/* this open file stays dead: open again */
			close(fd);
			fd = -1;
		}
		w->rounds++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return rc;
}

/* The platform device unbound and bound again @rounds times under load. */
static int rebind_rounds(long rounds, long *done)
{
	int rc = 0;

	for (*done = 0; *done < rounds && !rc; ++*done) {
		usleep(20000);
		rc = sysfs_write(CK_DRV "/unbind", "chipkey");
		usleep(5000);
		if (!rc)
			rc = sysfs_write(CK_DRV "/bind", "chipkey");
	}
	return rc;
}

TEST_F_TIMEOUT(abuse, wrap_unwrap_while_unbinding, 20000)
{
	struct racer w[4];
	volatile bool stop = false;
	long rounds = 2 + abuse_n / 5000, done = 0, total = 0;
	uint8_t in[100], pkg[100 + CHIPKEY_PKG_OVERHEAD], out[100];
	size_t plen = sizeof(pkg), olen = sizeof(out);
	int rc, fd;

	if (access(CK_DRV "/unbind", W_OK))
		SKIP(return, "no %s/unbind (not root, or the driver is not loaded)", CK_DRV);
	if (rounds > 200)
		rounds = 200;
	for (unsigned int i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].stop = &stop;
		ASSERT_EQ(0, pthread_create(&w[i].t, NULL, race, &w[i]));
	}
	rc = rebind_rounds(rounds, &done);
	stop = true;
	for (unsigned int i = 0; i < 4; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].rounds;
		EXPECT_EQ(0, w[i].wrong) TH_LOG("thread %u: %s", i, w[i].why);
		EXPECT_EQ(0, w[i].bad_errno) TH_LOG("thread %u: %s", i, w[i].why);
	}
	EXPECT_EQ(0, rc) TH_LOG("unbind/bind round %ld: %s", done, strerror(-rc));
	printf("# %ld unbind/bind rounds under %ld wrap/unwrap rounds of 4 threads\n", done, total);
	report();
	/* bound again, and working */
	for (int i = 0; i < 200 && access(ck_dev_path(), F_OK); i++)
		usleep(10000);
	fd = ck_open();
	ASSERT_LE(0, fd);
	ck_fill(in, sizeof(in), 3);
	ASSERT_EQ(0, ck_wrap(fd, in, sizeof(in), 1, pkg, &plen));
	ASSERT_EQ(0, ck_unwrap(fd, pkg, plen, out, &olen, NULL));
	EXPECT_EQ(0, memcmp(in, out, sizeof(in)));
	close(fd);
}

/* ---- unprivileged callers ---- */

/* Child: random privileged calls; exits with the number refused wrongly. */
static int unpriv_child(int (*drop)(void))
{
	static const unsigned long priv[] = {
		CHIPKEY_IOC_WRAP, CHIPKEY_IOC_UNWRAP, CHIPKEY_IOC_ATTEST,
		CHIPKEY_IOC_SEALED_WRAP, CHIPKEY_IOC_CHIP_MAC,
	};
	uint8_t st[512] __attribute__((aligned(8)));
	uint64_t s = seed ^ 0xbad;
	struct arena a;
	long i, bad = 0;
	int fd;

	if (drop() || arena_init(&a))
		return 200;
	fd = ck_open();
	if (fd < 0)
		return 201;
	for (i = 0; i < abuse_n / 4 + 10; i++) {
		unsigned long cmd;
		int r, e;

		if (i & 1) {
			cmd = priv[rnd(&s) % (sizeof(priv) / sizeof(priv[0]))];
		} else {	/* any number of ours but the three open to all */
			do
				cmd = _IOC(rnd(&s) & 3, CHIPKEY_IOC_MAGIC, rnd(&s) % 64,
					   rnd(&s) % (_IOC_SIZEMASK + 1));
			while (cmd == CHIPKEY_IOC_INFO || cmd == CHIPKEY_IOC_ROM_KEY ||
			       cmd == CHIPKEY_IOC_ATTEST_KEY);
		}
		random_struct(&s, &a, st, sizeof(st));
		r = ioctl(fd, cmd, st);
		e = r ? errno : 0;
		if (!tally(C_UNPRIV, e, ok_unpriv) ||
		    (is_known(cmd) && e != EPERM)) {
			if (bad++ < 5)
				printf("# unprivileged: cmd 0x%08lx: %s\n", cmd,
				       e ? strerror(e) : "success");
		}
	}
	report();
	fflush(stdout);
	close(fd);
	return bad > 100 ? 100 : (int)bad;
}

static int run_unpriv(int (*drop)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(unpriv_child(drop));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -2;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(abuse, unprivileged_nobody, 20000)
{
	int r = run_unpriv(drop_to_nobody);

	EXPECT_EQ(0, r) TH_LOG("child: %d (200: could not drop privileges, 201: cannot open "
			       "the device, else calls not refused with EPERM/ENOTTY)", r);
}

TEST_F_TIMEOUT(abuse, unprivileged_root_without_cap_sys_admin, 20000)
{
	int r = run_unpriv(drop_sys_admin);

	EXPECT_EQ(0, r) TH_LOG("child: %d", r);
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	abuse_n = argc > 1 ? strtol(argv[1], NULL, 0) : env_or("CK_ABUSE_N", 2000);
	seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
	       (uint64_t)env_or("CK_ABUSE_SEED", (long)(time(NULL) ^ getpid()));
	if (abuse_n < 1)
		abuse_n = 1;
	if (!seed)
		seed = 1;
	printf("# chipkey_abuse_test: N %ld, seed %llu\n", abuse_n, (unsigned long long)seed);
	return test_harness_run(argc, argv);
}
