/*
 * store.c - the LMDB environment: open (with the checks that turn a
 * broken, truncated or newer file into a clear error), permissions, and
 * every write transaction (batches, sweeps), redone after the map grows
 * or the environment is reopened. It must never use MDB_WRITEMAP, never
 * "repair" a file, and never leave a half-applied batch behind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_priv.h"
#include "util.h"

#define DATA_MODE 0640
#define LOCK_MODE 0660
#define MAX_MAP_GROWS 24	/* doublings per transaction */

int store_fail(struct store *s, int rc, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s: %s", s->path, what,
		 mdb_strerror(rc));
	return -1;
}

void store_skip_invalid(struct store *s, const char *what)
{
	s->invalid++;
	log_limited(&s->invalid_rl, LOG_WARNING, "%s: skipped a %s value of "
		    "unknown version or size", s->path, what);
}

int meta_key(char *key, const char *prefix, const char *name, MDB_val *k)
{
	size_t lp = strlen(prefix), ln = strlen(name);

	if (lp + ln > POSITION_NAME_MAX || lp + ln == 0)
		return -1;
	memcpy(key, prefix, lp);
	memcpy(key + lp, name, ln);
	k->mv_data = key;
	k->mv_size = lp + ln;
	return 0;
}

const char *store_error(const struct store *s)
{
	return s->err;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

int store_created(const struct store *s)
{
	return s->created;
}

/* open_error - the store_status for an mdb_env_open() failure RC */
static int open_error(int rc)
{
	switch (rc) {
	case ENOENT:
		return STORE_ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
		return STORE_EACCES;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
	case EBADF:	/* what a read-only open of an empty file returns */
	case EISDIR:
		return STORE_EBROKEN;
	default:
		return STORE_EFAIL;
	}
}

/* open_status - set the message "PATH: ..." and return STATUS */
static int open_status(struct store *s, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int open_status(struct store *s, int status, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, sizeof(s->err), "%s: ", s->path);

	if (n < 0 || (size_t)n >= sizeof(s->err))
		return status;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return status;
}

/* check_file - before LMDB sees it: missing, unreadable or empty */
static int check_file(struct store *s, struct stat *st)
{
	if (stat(s->path, st) < 0) {
		if (errno == ENOENT && (s->flags & STORE_CREATE))
			return STORE_OK;
		if (errno == ENOENT)
			return open_status(s, STORE_ENOENT, "%s",
					   "no such database");
		return open_status(s, errno == EACCES ? STORE_EACCES :
				   STORE_EFAIL, "%s", strerror(errno));
	}
	if (!S_ISREG(st->st_mode))
		return open_status(s, STORE_EBROKEN, "%s",
				   "not a regular file");
	if (st->st_size == 0)
		return open_status(s, STORE_EBROKEN, "%s",
				   "empty file, not an LMDB database");
	return STORE_OK;
}

/* fix_modes - files this open created get their modes (mdb_env_open's
 * mode went through the umask and applies to both); a new lock file
 * also gets the owner of the data file, so readers can still lock */
static void fix_modes(struct store *s, int data_existed, int lock_existed)
{
	struct stat st;

	if (!data_existed)
		(void)chmod(s->path, DATA_MODE);
	if (!lock_existed) {
		(void)chmod(s->lock_path, LOCK_MODE);
		if (data_existed && stat(s->path, &st) == 0 &&
		    chown(s->lock_path, st.st_uid, st.st_gid) < 0 &&
		    errno != EPERM)
			log_msg(LOG_WARNING, "%s: chown: %s", s->lock_path,
				strerror(errno));
	}
}

/* check_length - a file shorter than its last page would SIGBUS readers */
static int check_length(struct store *s)
{
	MDB_envinfo info;
	MDB_stat mst;
	struct stat st;

	if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &mst) != 0
	    || stat(s->path, &st) < 0)
		return open_status(s, STORE_EFAIL, "%s", "cannot stat");
	if ((unsigned long long)st.st_size <
	    ((unsigned long long)info.me_last_pgno + 1) * mst.ms_psize)
		return open_status(s, STORE_EBROKEN, "%s",
				   "file is shorter than its last page (truncated)");
	return STORE_OK;
}

/* init_schema - create the sub-databases and write the schema version */
static int init_schema(struct store *s, MDB_txn *txn)
{
	unsigned char v[8];
	MDB_val k = { sizeof(META_SCHEMA_KEY) - 1, META_SCHEMA_KEY };
	MDB_val d = { sizeof(v), v };
	int rc;

	u64_encode(STORE_SCHEMA_VERSION, v);
	if ((rc = mdb_dbi_open(txn, "records", MDB_CREATE, &s->records)) ||
	    (rc = mdb_dbi_open(txn, "positions", MDB_CREATE, &s->positions)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta)) ||
	    (rc = mdb_dbi_open(txn, "sessions", MDB_CREATE, &s->sessions)) ||
	    (rc = mdb_put(txn, s->meta, &k, &d, 0)))
		return open_status(s, STORE_EFAIL, "cannot initialise: %s",
				   mdb_strerror(rc));
	s->has_sessions = 1;
	return STORE_OK;
}

/* check_schema - read the schema version of an existing store */
static int check_schema(struct store *s, MDB_txn *txn)
{
	MDB_val k = { sizeof(META_SCHEMA_KEY) - 1, META_SCHEMA_KEY }, d;
	unsigned char v[8];
	uint64_t version;

	if (mdb_dbi_open(txn, "records", 0, &s->records) ||
	    mdb_dbi_open(txn, "positions", 0, &s->positions) ||
	    mdb_get(txn, s->meta, &k, &d) || d.mv_size != sizeof(v))
		return open_status(s, STORE_EBROKEN, "%s",
				   "not a popgate database (no schema version)");
	/* a file from before the session table gets one when opened to write */
	s->has_sessions = mdb_dbi_open(txn, "sessions", (s->flags &
					STORE_READONLY) ? 0 : MDB_CREATE,
				       &s->sessions) == 0;
	memcpy(v, d.mv_data, sizeof(v));
	version = u64_decode(v);
	if (version > STORE_SCHEMA_VERSION) {
		return open_status(s, STORE_ENEWER, "schema version %llu is "
				   "newer than this program (%d)",
				   (unsigned long long)version,
				   STORE_SCHEMA_VERSION);
	}
	return STORE_OK;
}

/* open_dbs - open the four sub-databases, creating them in an empty
 * environment when allowed, and check the schema version */
static int open_dbs(struct store *s)
{
	int ro = (s->flags & STORE_READONLY) != 0;
	MDB_stat main;
	MDB_txn *txn;
	int rc, status;

	rc = mdb_txn_begin(s->env, NULL, ro ? MDB_RDONLY : 0, &txn);
	if (rc)
		return open_status(s, open_error(rc), "%s", mdb_strerror(rc));
	rc = mdb_dbi_open(txn, "meta", 0, &s->meta);
	if (rc == MDB_NOTFOUND && !ro && (s->flags & STORE_CREATE) &&
	    mdb_stat(txn, 0, &main) == 0 && main.ms_entries == 0)
		status = init_schema(s, txn);
	else if (rc)
		status = open_status(s, STORE_EBROKEN, "not a popgate database"
				     " (%s)", mdb_strerror(rc));
	else
		status = check_schema(s, txn);
	if (status == STORE_OK && (rc = mdb_txn_commit(txn)) != 0)
		return open_status(s, open_error(rc), "%s", mdb_strerror(rc));
	if (status != STORE_OK)
		mdb_txn_abort(txn);
	return status;
}

/* env_start - create the environment and open the file */
static int env_start(struct store *s, size_t file_size)
{
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
	size_t map = s->map_size ? s->map_size : STORE_DEFAULT_MAP_SIZE;
	int rc;

	if (file_size > map)
		map = file_size;
	flags |= (s->flags & STORE_READONLY) ? MDB_RDONLY : MDB_NOMETASYNC;
	if ((rc = mdb_env_create(&s->env)) != 0)
		return open_status(s, STORE_EFAIL, "%s", mdb_strerror(rc));
	if ((rc = mdb_env_set_maxdbs(s->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, map)) != 0 ||
	    (rc = mdb_env_open(s->env, s->path, flags, DATA_MODE)) != 0) {
		if (rc == ENOENT && (s->flags & STORE_CREATE))
			return open_status(s, STORE_EFAIL, "cannot create: %s",
					   mdb_strerror(rc));
		if (rc == ENOENT)
			return open_status(s, STORE_ENOENT, "%s",
					   "no such database");
		return open_status(s, open_error(rc), "%s%s",
				   open_error(rc) == STORE_EBROKEN ?
				   "not a usable LMDB database: " : "",
				   mdb_strerror(rc));
	}
	return STORE_OK;
}

static void env_stop(struct store *s)
{
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	s->rtxn = NULL;
	s->rtxn_busy = 0;
	if (s->env)
		mdb_env_close(s->env);
	s->env = NULL;
}

/* env_open - everything store_open() does after allocating S */
static int env_open(struct store *s)
{
	struct stat st, lst;
	int data_existed, lock_existed, dead, status;

	memset(&st, 0, sizeof(st));
	if ((status = check_file(s, &st)) != STORE_OK)
		return status;
	data_existed = st.st_size > 0;
	lock_existed = stat(s->lock_path, &lst) == 0;
	status = env_start(s, (size_t)st.st_size);
	if (status == STORE_OK) {
		s->created = s->created || !data_existed;
		fix_modes(s, data_existed, lock_existed);
		status = check_length(s);
	}
	if (status == STORE_OK && mdb_reader_check(s->env, &dead) == 0 && dead)
		log_msg(LOG_NOTICE, "%s: cleared %d stale reader slots",
			s->path, dead);
	if (status == STORE_OK)
		status = open_dbs(s);
	if (status != STORE_OK)
		env_stop(s);
	return status;
}

int store_open(struct store **out, const char *path, int flags,
	       size_t map_size, char *err, size_t errsize)
{
	struct store *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(path);
	int status;

	s->path = xstrdup(path);
	s->lock_path = xmalloc(n + sizeof("-lock"));
	memcpy(s->lock_path, path, n);
	memcpy(s->lock_path + n, "-lock", sizeof("-lock"));
	s->flags = flags;
	s->map_size = map_size;
	status = env_open(s);
	if (status != STORE_OK) {
		if (err && errsize)
			copy_string(err, s->err, errsize);
		s->created = 0;
		store_close(s);
		*out = NULL;
		return status;
	}
	*out = s;
	return STORE_OK;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	env_stop(s);
	free(s->path);
	free(s->lock_path);
	free(s);
}

int store_set_owner(struct store *s, long uid, long gid)
{
	const char *files[2] = { s->path, s->lock_path };
	const mode_t modes[2] = { DATA_MODE, LOCK_MODE };
	int i;

	for (i = 0; i < 2; i++) {
		if (chown(files[i], (uid_t)uid, (gid_t)gid) < 0 ||
		    chmod(files[i], modes[i]) < 0) {
			snprintf(s->err, sizeof(s->err), "%s: %s", files[i],
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

size_t store_txn_id(struct store *s)
{
	MDB_envinfo info;

	if (s->env == NULL || mdb_env_info(s->env, &info) != 0)
		return 0;
	return info.me_last_txnid;
}

size_t store_each_txn_id(const struct store *s)
{
	return s->each_txn;
}

/* grow_map - double the map after MDB_MAP_FULL */
static int grow_map(struct store *s)
{
	MDB_envinfo info;
	size_t size;
	int rc;

	if (s->rtxn_busy || mdb_env_info(s->env, &info) != 0)
		return MDB_MAP_FULL;
	size = info.me_mapsize * 2;
	if (size < info.me_mapsize)
		return MDB_MAP_FULL;
	if ((rc = mdb_env_set_mapsize(s->env, size)) != 0)
		return rc;
	log_msg(LOG_INFO, "%s: map full, grown to %zu bytes", s->path, size);
	return 0;
}

int store_reopen(struct store *s)
{
	log_msg(LOG_ERR, "%s: environment failed, reopening", s->path);
	env_stop(s);
	return env_open(s) == STORE_OK ? 0 : -1;
}

/* write_once - FN in one write transaction; an LMDB code, 0 = committed */
static int write_once(struct store *s, store_write_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rc;

	if (s->env == NULL)
		return MDB_PANIC;
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc == MDB_MAP_RESIZED) {	/* another writer grew the map */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) == 0)
			rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	}
	if (rc)
		return rc;
	if ((rc = fn(s, txn, ctx)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

int store_write_txn(struct store *s, store_write_fn fn, void *ctx,
		    const char *what)
{
	int rc, grows = 0, reopened = 0;

	if (s->flags & STORE_READONLY)
		return store_fail(s, EACCES, what);
	for (;;) {
		rc = write_once(s, fn, ctx);
		if (rc == 0)
			return 0;
		if (rc == MDB_MAP_FULL && grows++ < MAX_MAP_GROWS &&
		    (rc = grow_map(s)) == 0)
			continue;
		if (rc == MDB_PANIC && !reopened++) {
			if (store_reopen(s) == 0)
				continue;
			return -1;	/* env_open() wrote the message */
		}
		return store_fail(s, rc, what);
	}
}

