/*
 * patches/0005-gc-with-open-snapshots.patch: plain gc (db.<name>.compaction.gc
 * and the periodic gc) must end while an open cursor keeps gc_wm percent or
 * more of a node's versions, and must still rewrite the node once the cursor
 * is closed. Prints what it measures; exits 0 when every check passes, 1 when
 * one fails, 2 on setup failure. Needs 0004's checkpoint to put the node on
 * disk. Usage: gc_snapshot <empty directory>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sophia.h"
#include "maintenance_harness.h"

#define KEYS 10000
#define GC_WAIT_MS 2000
#define WAIT_MS 10000

static void write_all(void *env, void *db, int generation) {
  for (int i = 0; i < KEYS; i += 10) {
    void *tx = sp_begin(env);
    for (int j = i; j < i + 10; j++) put(db, tx, j, generation);
    if (sp_commit(tx) != 0) die(env, "commit");
  }
}

/* Reads every row through cursor; returns how many are not key i at
   generation, in order, plus any missing. */
static int wrong_rows(void *db, void *cursor, int generation) {
  char key[16], expected[VALUE_SIZE + 1];
  int i = 0, wrong = 0;
  void *o = sp_document(db);
  sp_setstring(o, "order", ">=", 0);
  while ((o = sp_get(cursor, o)) != NULL) {
    int key_size = 0, size = 0;
    const char *k = sp_getstring(o, "key", &key_size);
    const char *value = sp_getstring(o, "value", &size);
    key_of(key, i);
    value_of(expected, i, generation);
    wrong += key_size != (int)strlen(key) || memcmp(k, key, key_size) != 0 ||
             size != VALUE_SIZE || memcmp(value, expected, VALUE_SIZE) != 0;
    i++;
  }
  return wrong + (i > KEYS ? i - KEYS : KEYS - i);
}

/* One node on disk holding generations 1 and 2 of every key, generation 1
   kept for the cursor returned, which is still open: half the node's
   versions are duplicates (gc_wm is 30), the oldest older than the cursor,
   so gc picks the node whatever the patch. */
static void *setup(const char *root, const char *name, int gc_period, void **env_out, void **db_out) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  void *env = sp_env();
  sp_setstring(env, "sophia.path", dir, 0);
  sp_setint(env, "scheduler.threads", 1);
  sp_setstring(env, "db", "main", 0);
  sp_setint(env, "db.main.compaction.gc_period", gc_period);
  if (sp_open(env) != 0) die(env, "open");
  void *db = sp_getobject(env, "db.main");
  write_all(env, db, 1);
  void *cursor = sp_cursor(env);
  if (cursor == NULL) die(env, "cursor");
  write_all(env, db, 2);
  call(env, "db.main.compaction.checkpoint");
  if (wait_flag(env, "main", "checkpoint", WAIT_MS, 0) < 0) die(env, "db.main.scheduler.checkpoint");
  printf("%s: gc_period=%lld gc_wm=%lld count=%lld count_dup=%lld node_count=%lld metric.nsn=%lld\n",
         name, stat_of(env, "main", "compaction.gc_period"), stat_of(env, "main", "compaction.gc_wm"),
         stat_of(env, "main", "index.count"), stat_of(env, "main", "index.count_dup"),
         stat_of(env, "main", "index.node_count"), (long long)sp_getint(env, "metric.nsn"));
  check(stat_of(env, "main", "index.count_dup") == KEYS && stat_of(env, "main", "index.memory_used") == 0,
        "both generations on disk, every first one a duplicate");
  *env_out = env;
  *db_out = db;
  return cursor;
}

/* The node was written for cursor A. With A closed and a later cursor B
   open, gc has something to drop (generation 1) and rewrites the node once,
   keeping generation 2 for B beside generation 3: the new node holds as
   many duplicates, now for B, and must not be rewritten again. */
static void explicit_case(const char *root) {
  void *env, *db;
  void *first = setup(root, "explicit", 0, &env, &db);
  void *cursor = sp_cursor(env);
  if (cursor == NULL) die(env, "cursor");
  write_all(env, db, 3);
  sp_destroy(first);
  long long nodes = stat_of(env, "main", "index.node_count");
  long long nsn = sp_getint(env, "metric.nsn");
  call(env, "db.main.compaction.gc");
  long long took = wait_flag(env, "main", "gc", GC_WAIT_MS, 0);
  long long flag = stat_of(env, "main", "scheduler.gc");
  long long grown = (long long)sp_getint(env, "metric.nsn") - nsn;
  printf("gc with a later cursor open: took=%lld scheduler.gc=%lld nsn_growth=%lld count=%lld count_dup=%lld memory_used=%lld\n",
         took, flag, grown, stat_of(env, "main", "index.count"), stat_of(env, "main", "index.count_dup"),
         stat_of(env, "main", "index.memory_used"));
  check(took >= 0, "gc ends within 2 s with the cursor open");
  check(grown >= 1 && grown <= nodes, "the node is rewritten once");
  check(stat_of(env, "main", "index.count") == 2 * KEYS && stat_of(env, "main", "index.count_dup") == KEYS,
        "generation 1 dropped, generation 2 kept for the cursor");
  check(wrong_rows(db, cursor, 2) == 0, "the cursor reads every second value");
  sp_destroy(cursor);

  if (took < 0 && wait_flag(env, "main", "gc", WAIT_MS, 0) < 0) die(env, "db.main.scheduler.gc after the cursor closed");
  call(env, "db.main.compaction.gc");
  took = wait_flag(env, "main", "gc", WAIT_MS, 0);
  if (took < 0) die(env, "db.main.scheduler.gc");
  printf("gc with the cursor closed: took=%lld count=%lld count_dup=%lld\n",
         took, stat_of(env, "main", "index.count"), stat_of(env, "main", "index.count_dup"));
  check(stat_of(env, "main", "index.count") == KEYS && stat_of(env, "main", "index.count_dup") == 0,
        "gc rewrites the node once the cursor is closed");
  void *all = sp_cursor(env);
  check(wrong_rows(db, all, 3) == 0, "every value reads back");
  sp_destroy(all);
  sp_destroy(env);
}

/* The node was written for the cursor still open: periodic gc has nothing
   to drop and must leave it alone. */
static void periodic_case(const char *root) {
  void *env, *db;
  void *cursor = setup(root, "periodic", 1, &env, &db);
  long long nodes = stat_of(env, "main", "index.node_count");
  long long nsn = sp_getint(env, "metric.nsn");
  sleep_ms(2500);
  long long grown = (long long)sp_getint(env, "metric.nsn") - nsn;
  printf("2.5 s of gc_period=1 with the cursor open: nsn_growth=%lld scheduler.gc=%lld count_dup=%lld\n",
         grown, stat_of(env, "main", "scheduler.gc"), stat_of(env, "main", "index.count_dup"));
  check(grown <= nodes, "periodic gc rewrites each node at most once");
  check(wrong_rows(db, cursor, 1) == 0, "the cursor reads every first value");
  sp_destroy(cursor);

  long long start = now_ms();
  while (stat_of(env, "main", "index.count_dup") != 0 && now_ms() - start < WAIT_MS) sleep_ms(10);
  printf("periodic gc with the cursor closed: after=%lld ms count=%lld count_dup=%lld\n",
         now_ms() - start, stat_of(env, "main", "index.count"), stat_of(env, "main", "index.count_dup"));
  check(stat_of(env, "main", "index.count") == KEYS && stat_of(env, "main", "index.count_dup") == 0,
        "periodic gc rewrites the node once the cursor is closed");
  sp_destroy(env);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  explicit_case(argv[1]);
  periodic_case(argv[1]);
  return failed;
}
