/*
 * Checks our patch 0008: a write committed while Sophia's thread compacts
 * its node is read back at once, and is still there after reopening.
 * Reads and writes of a key go to the node that routing picks by the
 * nodes' smallest and largest keys on disk. Sophia 2.2 put the versions
 * written during a compaction into the new nodes by the new nodes' bounds
 * alone: when the compaction dropped a node's smallest keys (deleted
 * ones), the versions of keys below its new smallest key stayed with it
 * while routing now sent those keys to the node before. A read right after
 * the write missed it, the key's next write went to the other node (a
 * deletion there could lose to the older value, after reopening too), and
 * a later compaction could give two nodes the same smallest key, which
 * aborts on an assertion in si_insert().
 *
 * Nodes hold about 100 keys. Each round deletes nine keys in ten and asks
 * for a checkpoint, which compacts every node and drops them, and writes
 * keys in transactions, reading each back at once, until it ends; then
 * puts the deleted keys back. Without the patch a read misses or the
 * process aborts within seconds. Prints "ok: ..." or "FAILED: ..." per
 * check.
 *
 *   compaction_routing <directory> [seconds, default 20]
 */
#include <string.h>

#include "maintenance_harness.h"

#define KEYS 4000

static int generation[KEYS];

/* The generation key #i reads as (0: missing), or -1 on a bad value. */
static int read_generation(void *db, int i) {
  char key[16];
  key_of(key, i);
  void *o = sp_document(db);
  sp_setstring(o, "key", key, 0);
  void *result = sp_get(db, o);
  if (result == NULL) return 0;
  int size = 0;
  const char *value = sp_getstring(result, "value", &size);
  const char *slash = size == VALUE_SIZE ? memchr(value, '/', size) : NULL;
  int gen = slash != NULL ? atoi(slash + 1) : -1;
  sp_destroy(result);
  return gen;
}

static void *open_env(const char *path, void **db) {
  void *env = sp_env();
  sp_setstring(env, "sophia.path", path, 0);
  sp_setint(env, "scheduler.threads", 1);
  sp_setstring(env, "db", "main", 0);
  sp_setint(env, "db.main.compaction.node_size", 16 * 1024);
  sp_setint(env, "db.main.compaction.page_size", 2 * 1024);
  *db = sp_getobject(env, "db.main");
  if (sp_open(env) != 0) die(env, "sp_open");
  return env;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <directory> [seconds]\n", argv[0]);
    return 2;
  }
  seed_random(2024);
  int seconds = argc > 2 ? atoi(argv[2]) : 20;
  void *db;
  void *env = open_env(argv[1], &db);
  int gen = 1;
  for (int i = 0; i < KEYS; i++) put(db, db, i, generation[i] = gen);
  long long start = now_ms();
  long reads = 0, missed = 0, rounds = 0;
  int first_missed = -1;
  while (now_ms() - start < seconds * 1000LL) {
    rounds++;
    gen++;
    void *tx = sp_begin(env);
    for (int i = 0; i < KEYS; i++) {
      if (i % 10 == (int)(rounds % 10)) continue;
      del(db, tx, i);
      generation[i] = 0;
    }
    if (sp_commit(tx) != 0) die(env, "sp_commit");
    call(env, "db.main.compaction.checkpoint");
    while (sp_getint(env, "db.main.scheduler.checkpoint") != 0 && now_ms() - start < seconds * 1000LL) {
      int written[20];
      tx = sp_begin(env);
      for (int k = 0; k < 20; k++) {
        int i = written[k] = (int)(next_random() % KEYS);
        if (k % 4 == 3) {
          del(db, tx, i);
          generation[i] = 0;
        } else {
          put(db, tx, i, generation[i] = gen);
        }
      }
      if (sp_commit(tx) != 0) die(env, "sp_commit");
      for (int k = 0; k < 20; k++) {
        reads++;
        if (read_generation(db, written[k]) != generation[written[k]]) {
          if (first_missed < 0) first_missed = (int)(now_ms() - start);
          missed++;
        }
      }
    }
    tx = sp_begin(env);
    for (int i = 0; i < KEYS; i++) {
      if (generation[i] == 0) put(db, tx, i, generation[i] = gen);
    }
    if (sp_commit(tx) != 0) die(env, "sp_commit");
  }
  char line[200];
  int n = snprintf(line, sizeof line, "%ld rounds of deletions and checkpoints: %ld reads of keys just written, %ld missed the write",
                   rounds, reads, missed);
  if (missed > 0) snprintf(line + n, sizeof line - n, " (the first after %d ms)", first_missed);
  check(missed == 0 && reads > 0, line);
  if (wait_flag(env, "main", "checkpoint", 30000, 0) < 0) die(env, "checkpoint");
  if (sp_destroy(env) != 0) die(NULL, "sp_destroy");
  env = open_env(argv[1], &db);
  int wrong = 0;
  for (int i = 0; i < KEYS; i++) {
    if (read_generation(db, i) != generation[i]) wrong++;
  }
  snprintf(line, sizeof line, "after reopening, every key reads as last written (%d wrong)", wrong);
  check(wrong == 0, line);
  if (sp_destroy(env) != 0) die(NULL, "sp_destroy");
  return failed;
}
