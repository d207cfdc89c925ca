/*
 * Checks our patch 0010 (the next nodes of a walk in order are prefetched):
 * it must change nothing but speed. Cursors in the four orders ('>', '>=',
 * '<', '<='), from no key and from random keys, read exactly what a model
 * of the data holds: keys written in a random order, some overwritten and
 * some deleted, in memory, then in node files with newer writes in memory
 * over them; and a cursor opened before more writes and deletions still
 * reads what was there when it was opened. Then times full walks forward
 * and backward (printed, not checked: timing belongs to bench/). Prints
 * "ok: ..." or "FAILED: ..." per check.
 *
 *   ordered_walk <directory>
 */
#include "maintenance_harness.h"

#define SPACE 200000
#define WRITES 60000
#define CURSORS 400
#define STEPS 60

/* generation[i]: the write number of key #i's value, 0 if absent. */
static int generation[SPACE];

static void key_name(char *key, int i) { snprintf(key, 16, "k%07d", i); }

static void write_key(void *env, void *db, int i, int g) {
  char key[16];
  key_name(key, i);
  void *o = sp_document(db);
  sp_setstring(o, "key", key, 0);
  if (g == 0) {
    if (sp_delete(db, o) != 0) die(env, "sp_delete");
  } else {
    sp_setstring(o, "value", &g, sizeof g);
    if (sp_set(db, o) != 0) die(env, "sp_set");
  }
  generation[i] = g;
}

/* The key of the model after (forward) or before key #i that the order
 * reads first, -1 if none; i may be -1 or SPACE for "no key". */
static int model_first(const int *model, int i, const char *order) {
  int forward = order[0] == '>';
  int inclusive = order[1] == '=';
  int at = inclusive ? i : forward ? i + 1 : i - 1;
  while (at >= 0 && at < SPACE && model[at] == 0) at += forward ? 1 : -1;
  return at >= 0 && at < SPACE ? at : -1;
}

/* Reads up to `steps` entries (all if 0) from a cursor in `order` from key
 * #start (none if start < 0) and counts those that differ from `model`. */
static int wrong_reads(void *env, void *db, void *cursor, const int *model, int start, const char *order, int steps) {
  int forward = order[0] == '>';
  void *o = sp_document(db);
  sp_setstring(o, "order", order, 0);
  char key[16];
  if (start >= 0) {
    key_name(key, start);
    sp_setstring(o, "key", key, 0);
  }
  int expected = model_first(model, start >= 0 ? start : forward ? -1 : SPACE, start >= 0 ? order : forward ? ">" : "<");
  int wrong = 0, read = 0;
  while ((o = sp_get(cursor, o)) != NULL) {
    int size = 0, value_size = 0;
    const char *found = sp_getstring(o, "key", &size);
    const int *value = sp_getstring(o, "value", &value_size);
    key_name(key, expected < 0 ? 0 : expected);
    if (expected < 0 || size != (int)strlen(key) || memcmp(found, key, size) != 0 || value_size != sizeof(int) ||
        *value != model[expected]) {
      wrong++;
      sp_destroy(o);
      break;
    }
    read++;
    expected = model_first(model, expected, forward ? ">" : "<");
    if (steps > 0 && read == steps) {
      sp_destroy(o);
      break;
    }
  }
  if (wrong == 0 && (steps == 0 || read < steps) && expected >= 0) wrong++;
  return wrong;
}

static const char *ORDERS[] = { ">", ">=", "<", "<=" };

static void check_cursors(void *env, void *db, const char *where) {
  int wrong = 0;
  for (int k = 0; k < 4; k++) {
    void *cursor = sp_cursor(env);
    wrong += wrong_reads(env, db, cursor, generation, -1, ORDERS[k], 0);
    sp_destroy(cursor);
  }
  char line[160];
  snprintf(line, sizeof line, "%s: whole walks in the four orders read what the model holds (%d wrong)", where, wrong);
  check(wrong == 0, line);
  wrong = 0;
  for (int c = 0; c < CURSORS; c++) {
    void *cursor = sp_cursor(env);
    wrong += wrong_reads(env, db, cursor, generation, next_random() % SPACE, ORDERS[c % 4], STEPS);
    sp_destroy(cursor);
  }
  snprintf(line, sizeof line, "%s: %d cursors from random keys read %d entries each as the model says (%d wrong)", where,
           CURSORS, STEPS, wrong);
  check(wrong == 0, line);
}

/* Writes, overwrites and deletes random keys. */
static void churn(void *env, void *db, int count, int g) {
  for (int n = 0; n < count; n++) {
    int i = next_random() % SPACE;
    write_key(env, db, i, next_random() % 5 == 0 ? 0 : g);
  }
}

static double walk_rate(void *env, void *db, const char *order) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  void *cursor = sp_cursor(env);
  void *o = sp_document(db);
  sp_setstring(o, "order", order, 0);
  long entries = 0;
  while ((o = sp_get(cursor, o)) != NULL) entries++;
  sp_destroy(cursor);
  clock_gettime(CLOCK_MONOTONIC, &b);
  return entries / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <directory>\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  seed_random(10);
  void *env = sp_env();
  sp_setstring(env, "sophia.path", argv[1], 0);
  sp_setint(env, "scheduler.threads", 0);
  sp_setstring(env, "db", "walk", 0);
  sp_setint(env, "db.walk.compaction.node_size", 256 * 1024);
  if (sp_open(env) != 0) die(env, "sp_open");
  void *db = sp_getobject(env, "db.walk");

  churn(env, db, WRITES, 1);
  churn(env, db, WRITES / 3, 2);
  check_cursors(env, db, "in memory");

  call(env, "db.walk.compaction.checkpoint");
  if (wait_flag(env, "walk", "checkpoint", 60000, 1) < 0) die(env, "checkpoint");
  churn(env, db, WRITES / 3, 3);
  check_cursors(env, db, "in node files and in memory");

  static int before[SPACE];
  memcpy(before, generation, sizeof generation);
  void *cursors[4];
  for (int k = 0; k < 4; k++) cursors[k] = sp_cursor(env);
  churn(env, db, WRITES / 3, 4);
  int wrong = 0;
  for (int k = 0; k < 4; k++) {
    wrong += wrong_reads(env, db, cursors[k], before, -1, ORDERS[k], 0);
    sp_destroy(cursors[k]);
  }
  char line[160];
  snprintf(line, sizeof line, "cursors opened before more writes read what was there then (%d wrong)", wrong);
  check(wrong == 0, line);

  printf("full walks of %d keys: %.0f entries/s forward, %.0f backward\n", SPACE, walk_rate(env, db, ">="),
         walk_rate(env, db, "<="));
  sp_destroy(env);
  return failed;
}
