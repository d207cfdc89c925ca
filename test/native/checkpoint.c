/*
 * patches/0004-checkpoint-and-full-gc.patch: db.<name>.compaction.checkpoint
 * must move everything written so far out of memory and the write-ahead
 * log into node files, and db.<name>.compaction.gc_all must drop obsolete
 * versions that gc_wm lets gc keep. Prints what it measures; exits 0 when
 * every check passes, 1 when one fails (or a key is missing, as without the
 * patch), 2 on setup failure.
 * Usage: checkpoint <empty directory>
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sophia.h"
#include "maintenance_harness.h"

#define KEYS 20000
#define WAIT_MS 10000

static void *open_env(const char *path, int threads, const char **dbs, int count) {
  void *env = sp_env();
  sp_setstring(env, "sophia.path", path, 0);
  sp_setint(env, "scheduler.threads", threads);
  sp_setint(env, "log.rotate_wm", 1000);
  for (int i = 0; i < count; i++) sp_setstring(env, "db", dbs[i], 0);
  if (sp_open(env) != 0) die(env, "open");
  return env;
}

/* Writes keys [from, to) at generation, ten to a transaction. */
static void write_range(void *env, void *db, int from, int to, int generation) {
  for (int i = from; i < to; i += 10) {
    void *tx = sp_begin(env);
    for (int j = i; j < i + 10 && j < to; j++) put(db, tx, j, generation);
    if (sp_commit(tx) != 0) die(env, "commit");
  }
}

/* generation 0 means the key must be absent. */
static int read_is(void *db, void *source, int i, int generation) {
  char key[16], expected[VALUE_SIZE + 1];
  key_of(key, i);
  void *o = sp_document(db);
  sp_setstring(o, "key", key, 0);
  void *r = sp_get(source, o);
  if (r == NULL) return generation == 0;
  int size = 0;
  const char *value = sp_getstring(r, "value", &size);
  int right = generation != 0;
  if (right) {
    value_of(expected, i, generation);
    right = size == VALUE_SIZE && memcmp(value, expected, VALUE_SIZE) == 0;
  }
  sp_destroy(r);
  return right;
}

static int wrong_reads(void *db, void *source, int count, int (*generation_of)(int)) {
  int wrong = 0;
  for (int i = 0; i < count; i++) wrong += !read_is(db, source, i, generation_of(i));
  return wrong;
}

static void log_usage(const char *dir, int *files, long long *bytes) {
  char path[1024];
  snprintf(path, sizeof path, "%s/log", dir);
  DIR *d = opendir(path);
  if (d == NULL) die(NULL, "opendir log");
  *files = 0;
  *bytes = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char file[2048];
    struct stat st;
    snprintf(file, sizeof file, "%s/%s", path, e->d_name);
    if (stat(file, &st) == 0) {
      (*files)++;
      *bytes += st.st_size;
    }
  }
  closedir(d);
}

/* One scheduler step in this thread; it returns 1 when it did some work. */
/* wait_flag() within WAIT_MS, failing the run otherwise. */
static long long wait_cleared(void *env, const char *db, const char *flag, int run) {
  long long took = wait_flag(env, db, flag, WAIT_MS, run);
  if (took < 0) die(env, flag);
  return took;
}

static int gen_original(int i) { (void)i; return 1; }

/* With more than one worker, another worker may find nothing left to flush
   while the flushing one has yet to free what it replaced. */
static void flush_case(const char *root, int threads) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/flush%d", root, threads);
  const char *dbs[] = { "main" };
  void *env = open_env(dir, threads, dbs, 1);
  void *db = sp_getobject(env, "db.main");
  for (int i = 0; i < KEYS; i += 2000) {
    write_range(env, db, i, i + 2000, 1);
    call(env, "log.rotate");
  }
  int files_before, files_after;
  long long bytes_before, bytes_after;
  log_usage(dir, &files_before, &bytes_before);
  long long memory_before = stat_of(env, "main", "index.memory_used");
  printf("%d worker(s), before checkpoint: log.files=%d log_files_on_disk=%d log_bytes=%lld memory_used=%lld\n",
         threads, (int)sp_getint(env, "log.files"), files_before, bytes_before, memory_before);
  check(files_before >= 5 && memory_before > KEYS * VALUE_SIZE, "several log files and the data in memory");

  call(env, "db.main.compaction.checkpoint");
  long long took = wait_cleared(env, "main", "checkpoint", 0);
  call(env, "log.gc");
  log_usage(dir, &files_after, &bytes_after);
  long long memory_after = stat_of(env, "main", "index.memory_used");
  printf("after checkpoint (%lld ms): log.files=%d log_files_on_disk=%d log_bytes=%lld memory_used=%lld count=%lld\n",
         took, (int)sp_getint(env, "log.files"), files_after, bytes_after, memory_after,
         stat_of(env, "main", "index.count"));
  check(memory_after == 0, "in-memory index empty");
  check(files_after == 1 && bytes_after < 4096, "log down to one small file");
  check(wrong_reads(db, db, KEYS, gen_original) == 0, "every value reads back before reopening");
  sp_destroy(env);

  env = open_env(dir, threads, dbs, 1);
  db = sp_getobject(env, "db.main");
  long long memory_reopened = stat_of(env, "main", "index.memory_used");
  printf("reopened: memory_used=%lld count=%lld\n", memory_reopened, stat_of(env, "main", "index.count"));
  check(memory_reopened == 0, "nothing replayed from the log");
  check(wrong_reads(db, db, KEYS, gen_original) == 0, "every value reads back after reopening");
  sp_destroy(env);
}

/* Keys below 2000 are overwritten three times, 2000..2999 are deleted. */
#define OVERWRITTEN 2000
#define DELETED 1000
static int gen_final(int i) { return i < OVERWRITTEN ? 4 : i < OVERWRITTEN + DELETED ? 0 : 1; }

static void gc_all_case(const char *root) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/gc_all", root);
  const char *dbs[] = { "main" };
  void *env = open_env(dir, 1, dbs, 1);
  void *db = sp_getobject(env, "db.main");
  write_range(env, db, 0, KEYS, 1);
  /* An open snapshot keeps the older versions through the checkpoint's
     flush, which would otherwise drop them itself. */
  void *snapshot = sp_begin(env);
  for (int generation = 2; generation <= 4; generation++) write_range(env, db, 0, OVERWRITTEN, generation);
  for (int i = OVERWRITTEN; i < OVERWRITTEN + DELETED; i += 10) {
    void *tx = sp_begin(env);
    for (int j = i; j < i + 10; j++) del(db, tx, j);
    if (sp_commit(tx) != 0) die(env, "commit");
  }
  call(env, "db.main.compaction.checkpoint");
  wait_cleared(env, "main", "checkpoint", 0);
  long long count = stat_of(env, "main", "index.count");
  long long dups = stat_of(env, "main", "index.count_dup");
  printf("after checkpoint with a snapshot open: count=%lld count_dup=%lld memory_used=%lld\n",
         count, dups, stat_of(env, "main", "index.memory_used"));
  check(count == KEYS + 3 * OVERWRITTEN + DELETED, "versions kept for the snapshot are on disk");
  check(wrong_reads(db, snapshot, KEYS, gen_original) == 0, "the snapshot still reads the first values");
  /* Every dup is still needed: gc_all must rewrite the node at most once
     and end, not loop on it while the snapshot stays open. */
  call(env, "db.main.compaction.gc_all");
  long long took = wait_cleared(env, "main", "gc", 0);
  count = stat_of(env, "main", "index.count");
  printf("after gc_all with the snapshot open (%lld ms): count=%lld\n", took, count);
  check(count == KEYS + 3 * OVERWRITTEN + DELETED, "gc_all ends and keeps what the snapshot needs");
  sp_destroy(snapshot);

  call(env, "db.main.compaction.gc");
  wait_cleared(env, "main", "gc", 0);
  count = stat_of(env, "main", "index.count");
  printf("after gc (gc_wm=%lld): count=%lld\n", stat_of(env, "main", "compaction.gc_wm"), count);
  check(count == KEYS + 3 * OVERWRITTEN + DELETED, "plain gc keeps to its watermark");

  call(env, "db.main.compaction.gc_all");
  took = wait_cleared(env, "main", "gc", 0);
  count = stat_of(env, "main", "index.count");
  dups = stat_of(env, "main", "index.count_dup");
  printf("after gc_all (%lld ms): count=%lld count_dup=%lld\n", took, count, dups);
  check(count == KEYS - DELETED && dups == 0, "only live keys left");
  check(wrong_reads(db, db, KEYS, gen_final) == 0, "every read right after gc_all");
  sp_destroy(env);

  env = open_env(dir, 1, dbs, 1);
  db = sp_getobject(env, "db.main");
  count = stat_of(env, "main", "index.count");
  printf("reopened: count=%lld\n", count);
  check(count == KEYS - DELETED, "still only live keys");
  check(wrong_reads(db, db, KEYS, gen_final) == 0, "every read right after reopening");
  sp_destroy(env);
}

/* No worker threads: nothing happens between calls unless scheduler.run is
   called, so the steps can be taken one at a time. */
static void two_dbs_case(const char *root) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/two", root);
  const char *dbs[] = { "main", "other" };
  void *env = open_env(dir, 0, dbs, 2);
  void *db = sp_getobject(env, "db.main");
  void *other = sp_getobject(env, "db.other");
  write_range(env, db, 0, 1000, 1);
  write_range(env, other, 0, 1000, 1);
  call(env, "db.main.compaction.checkpoint");
  check(stat_of(env, "main", "scheduler.checkpoint") == 1 && stat_of(env, "other", "scheduler.checkpoint") == 0,
        "pending for main only");
  for (int i = 0; i < 10 && stat_of(env, "main", "index.memory_used") > 0; i++) run_step(env);
  check(stat_of(env, "main", "index.memory_used") == 0 && stat_of(env, "main", "scheduler.checkpoint") == 1,
        "main flushed, its checkpoint not yet over");
  /* Asked again while pending: the target moves to include these. */
  write_range(env, db, 1000, 2000, 1);
  call(env, "db.main.compaction.checkpoint");
  wait_cleared(env, "main", "checkpoint", 1);
  long long memory_main = stat_of(env, "main", "index.memory_used");
  long long memory_other = stat_of(env, "other", "index.memory_used");
  printf("two databases, main checkpointed twice: main memory_used=%lld other memory_used=%lld\n",
         memory_main, memory_other);
  check(memory_main == 0, "main flushed up to the second checkpoint");
  check(memory_other > 0 && stat_of(env, "other", "scheduler.checkpoint") == 0, "other left alone");
  call(env, "db.other.compaction.checkpoint");
  wait_cleared(env, "other", "checkpoint", 1);
  call(env, "log.gc");
  printf("after other's checkpoint: other memory_used=%lld log.files=%lld\n",
         stat_of(env, "other", "index.memory_used"), (long long)sp_getint(env, "log.files"));
  check(stat_of(env, "other", "index.memory_used") == 0 && sp_getint(env, "log.files") == 1,
        "both flushed, one log file left");
  sp_destroy(env);
}

static volatile int writing = 1;
static volatile int written = 0;

static void *writer(void *db) {
  for (int i = 0; writing; i++) {
    put(db, db, i % KEYS, 1);
    written++;
  }
  return NULL;
}

static void under_load_case(const char *root) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/load", root);
  const char *dbs[] = { "main" };
  void *env = open_env(dir, 1, dbs, 1);
  void *db = sp_getobject(env, "db.main");
  pthread_t thread;
  if (pthread_create(&thread, NULL, writer, db) != 0) die(NULL, "pthread_create");
  sleep_ms(200);
  int before = written;
  call(env, "db.main.compaction.checkpoint");
  long long took = wait_cleared(env, "main", "checkpoint", 0);
  int during = written - before;
  writing = 0;
  pthread_join(thread, NULL);
  printf("under a steady write load: checkpoint done in %lld ms, %d writes before it, %d while it ran\n",
         took, before, during);
  check(during > 0, "writes went on during the checkpoint");
  sp_destroy(env);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  flush_case(argv[1], 1);
  flush_case(argv[1], 4);
  gc_all_case(argv[1]);
  two_dbs_case(argv[1]);
  under_load_case(argv[1]);
  return failed;
}
