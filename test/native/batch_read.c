/*
 * Checks our patch 0006 (sp_getbatch): batch reads through a cursor hand
 * over exactly the records that reading one record per sp_get does, in the
 * same order: in memory, in node files over many nodes, both at once,
 * through a cursor's read view while writes go on, with deletions and
 * overwrites, forward and backward, from every kind of start, with a prefix
 * and in batches of every size. Then times a full scan both ways (printed,
 * not checked). Prints "ok: ..." or "FAILED: ..." per check.
 *
 *   batch_read <directory>
 */
#include <string.h>

#include "maintenance_harness.h"

#define KEYS 4000
#define MAX_RECORDS (KEYS * 2)

typedef struct {
  int count;
  char keys[MAX_RECORDS][16];
  int key_sizes[MAX_RECORDS];
  char values[MAX_RECORDS][VALUE_SIZE];
  int value_sizes[MAX_RECORDS];
} records;

static records by_get, by_batch;

static void add (records *r, const void *key, int key_size, const void *value, int value_size) {
  if (r->count == MAX_RECORDS || key_size > 16 || value_size > VALUE_SIZE) {
    printf("FAILED: unexpected record (%d, %d bytes)\n", key_size, value_size);
    exit(1);
  }
  memcpy(r->keys[r->count], key, key_size);
  r->key_sizes[r->count] = key_size;
  memcpy(r->values[r->count], value, value_size);
  r->value_sizes[r->count] = value_size;
  r->count++;
}

static int same (const records *a, const records *b) {
  if (a->count != b->count) return 0;
  for (int i = 0; i < a->count; i++) {
    if (a->key_sizes[i] != b->key_sizes[i] || memcmp(a->keys[i], b->keys[i], a->key_sizes[i]) != 0) return 0;
    if (a->value_sizes[i] != b->value_sizes[i] || memcmp(a->values[i], b->values[i], a->value_sizes[i]) != 0) return 0;
  }
  return 1;
}

/* A position document: order, start key (or none) and prefix (or none). */
static void *position (void *env, void *db, const char *order, const char *key, int key_size, const char *prefix) {
  void *o = sp_document(db);
  if (o == NULL) die(env, "sp_document");
  if (sp_setstring(o, "order", order, 0) != 0) die(env, "set order");
  if (key != NULL && sp_setstring(o, "key", key, key_size) != 0) die(env, "set key");
  if (prefix != NULL && sp_setstring(o, "prefix", prefix, (int)strlen(prefix)) != 0) die(env, "set prefix");
  return o;
}

static void read_by_get (void *env, void *db, void *cursor, const char *order, const char *key, const char *prefix) {
  by_get.count = 0;
  void *o = position(env, db, order, key, key ? (int)strlen(key) : 0, prefix);
  while ((o = sp_get(cursor, o)) != NULL) {
    int key_size = 0, value_size = 0;
    const char *k = sp_getstring(o, "key", &key_size);
    const char *v = sp_getstring(o, "value", &value_size);
    add(&by_get, k, key_size, v, value_size);
  }
}

typedef struct {
  int batch;
  int taken;
  char last[16];
  int last_size;
} batch_state;

static int take (void *arg, const void **fields, const int *sizes) {
  batch_state *state = arg;
  add(&by_batch, fields[0], sizes[0], fields[1], sizes[1]);
  memcpy(state->last, fields[0], sizes[0]);
  state->last_size = sizes[0];
  return ++state->taken == state->batch;
}

/* Reads everything in batches of `batch`, each batch going on from the
 * last key of the one before. */
static void read_by_batch (void *env, void *db, void *cursor, const char *order, const char *key, const char *prefix,
                           int batch) {
  by_batch.count = 0;
  batch_state state = { batch, 0, "", 0 };
  int reverse = order[0] == '<';
  void *o = position(env, db, order, key, key ? (int)strlen(key) : 0, prefix);
  for (;;) {
    state.taken = 0;
    int got = sp_getbatch(cursor, o, take, &state);
    if (got < 0) die(env, "sp_getbatch");
    if (got != state.taken) die(env, "sp_getbatch counted another number of records");
    if (got < batch) break;
    o = position(env, db, reverse ? "<" : ">", state.last, state.last_size, prefix);
  }
}

static int compare_all (void *env, void *db, void *cursor, const char *what) {
  static const char *orders[] = { ">=", ">", "<=", "<" };
  static const char *starts[] = { NULL, "key000000", "key001000", "key001001", "key003998", "key003999", "key009999", "a" };
  static const int batches[] = { 1, 7, 1000, MAX_RECORDS };
  static const char *prefixes[] = { NULL, "key001", "key0039", "nomatch" };
  int mismatches = 0, comparisons = 0, records_seen = 0;
  for (int o = 0; o < 4; o++) {
    for (int s = 0; s < 8; s++) {
      for (int p = 0; p < 4; p++) {
        read_by_get(env, db, cursor, orders[o], starts[s], prefixes[p]);
        for (int b = 0; b < 4; b++) {
          read_by_batch(env, db, cursor, orders[o], starts[s], prefixes[p], batches[b]);
          comparisons++;
          records_seen += by_batch.count;
          if (!same(&by_get, &by_batch)) {
            if (mismatches++ < 3) {
              printf("mismatch (%s): order %s from %s prefix %s batch %d: %d records by sp_get, %d by sp_getbatch\n",
                     what, orders[o], starts[s] ? starts[s] : "(none)", prefixes[p] ? prefixes[p] : "(none)",
                     batches[b], by_get.count, by_batch.count);
            }
          }
        }
      }
    }
  }
  char line[200];
  snprintf(line, sizeof line, "%s: %d reads in batches give the records of sp_get (%d records in all)", what,
           comparisons, records_seen);
  check(mismatches == 0 && records_seen > 0, line);
  return mismatches;
}

static void wait_checkpoint (void *env) {
  call(env, "db.main.compaction.checkpoint");
  if (wait_flag(env, "main", "checkpoint", 30000, 0) < 0) die(env, "db.main.scheduler.checkpoint");
}

static double scan_rate (void *env, void *db, int batched) {
  void *cursor = sp_cursor(env);
  long long start = now_ms();
  int passes = 20;
  for (int p = 0; p < passes; p++) {
    if (batched) read_by_batch(env, db, cursor, ">=", NULL, NULL, 1000);
    else read_by_get(env, db, cursor, ">=", NULL, NULL);
  }
  long long ms = now_ms() - start;
  sp_destroy(cursor);
  return ms > 0 ? (double)(batched ? by_batch.count : by_get.count) * passes * 1000.0 / ms : 0;
}

int main (int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <directory>\n", argv[0]);
    return 2;
  }
  void *env = sp_env();
  sp_setstring(env, "sophia.path", argv[1], 0);
  sp_setstring(env, "db", "main", 0);
  /* Small nodes, so that the data spans many of them once flushed. */
  sp_setint(env, "db.main.compaction.node_size", 32 * 1024);
  sp_setint(env, "db.main.compaction.page_size", 4 * 1024);
  void *db = sp_getobject(env, "db.main");
  if (sp_open(env) != 0) die(env, "sp_open");

  /* In memory: even keys, some overwritten, some deleted. */
  for (int i = 0; i < KEYS; i += 2) put(db, db, i, 1);
  for (int i = 0; i < KEYS; i += 14) put(db, db, i, 2);
  for (int i = 0; i < KEYS; i += 10) del(db, db, i);
  void *cursor = sp_cursor(env);
  compare_all(env, db, cursor, "in memory");
  sp_destroy(cursor);

  /* In node files. */
  wait_checkpoint(env);
  long long nodes = stat_of(env, "main", "index.node_count");
  char line[160];
  snprintf(line, sizeof line, "the data is in node files: memory_used 0, %lld nodes", nodes);
  check(stat_of(env, "main", "index.memory_used") == 0 && nodes >= 4, line);
  cursor = sp_cursor(env);
  compare_all(env, db, cursor, "in node files");
  sp_destroy(cursor);

  /* Both: odd keys and more overwrites and deletions in memory. */
  for (int i = 1; i < KEYS; i += 2) put(db, db, i, 3);
  for (int i = 0; i < KEYS; i += 6) put(db, db, i, 4);
  for (int i = 3; i < KEYS; i += 9) del(db, db, i);
  cursor = sp_cursor(env);
  compare_all(env, db, cursor, "in memory and node files");

  /* The cursor's view stays as it was while writes go on. */
  records before;
  read_by_get(env, db, cursor, ">=", NULL, NULL);
  before = by_get;
  for (int i = 0; i < KEYS; i += 3) put(db, db, i, 5);
  for (int i = 5; i < KEYS; i += 11) del(db, db, i);
  compare_all(env, db, cursor, "through a read view, after writes");
  read_by_batch(env, db, cursor, ">=", NULL, NULL, 7);
  check(same(&before, &by_batch), "the read view hands over what it did before the writes");
  sp_destroy(cursor);

  /* Stopping: each() answering nonzero ends the batch there. */
  cursor = sp_cursor(env);
  by_batch.count = 0;
  batch_state state = { 5, 0, "", 0 };
  int got = sp_getbatch(cursor, position(env, db, ">=", NULL, 0, NULL), take, &state);
  check(got == 5 && by_batch.count == 5, "a batch stops where each() asks");
  sp_destroy(cursor);

  double single = scan_rate(env, db, 0);
  double batched = scan_rate(env, db, 1);
  printf("full scan of %d records: %.0f records/s by sp_get, %.0f records/s by sp_getbatch (%.2fx)\n", by_get.count,
         single, batched, single > 0 ? batched / single : 0);

  if (sp_destroy(env) != 0) die(NULL, "sp_destroy");
  return failed;
}
