/*
 * Upstream bug #164: a point read inside a transaction must see the data as
 * of the transaction's start, not writes committed after it. Exits 0 when
 * every read is right, 1 when one is wrong (the bug), 2 on setup failure.
 * Usage: snapshot_reads <empty directory>
 */
#include <stdio.h>
#include <string.h>

#include "sophia.h"

static void *db;

static int put(void *target, const char *key, const char *value) {
  void *o = sp_document(db);
  sp_setstring(o, "key", key, (int)strlen(key));
  sp_setstring(o, "value", value, (int)strlen(value));
  return sp_set(target, o);
}

static int del(void *target, const char *key) {
  void *o = sp_document(db);
  sp_setstring(o, "key", key, (int)strlen(key));
  return sp_delete(target, o);
}

/* Compares what the transaction reads for key with expected (NULL: absent). */
static int expect(void *tx, const char *key, const char *expected) {
  void *o = sp_document(db);
  sp_setstring(o, "key", key, (int)strlen(key));
  void *r = sp_get(tx, o);
  char got[64] = "(absent)";
  if (r != NULL) {
    int size = 0;
    const char *value = sp_getstring(r, "value", &size);
    snprintf(got, sizeof got, "%.*s", size, value);
    sp_destroy(r);
  }
  int right = expected == NULL ? r == NULL : (r != NULL && strcmp(got, expected) == 0);
  printf("%s: read %s, expected %s\n", right ? "ok" : "WRONG", got, expected ? expected : "(absent)");
  return right;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *env = sp_env();
  sp_setstring(env, "sophia.path", argv[1], 0);
  /* No background threads: the data stays in the in-memory index, where the
     bug lives. */
  sp_setint(env, "scheduler.threads", 0);
  sp_setstring(env, "db", "main", 0);
  if (sp_open(env) != 0) return 2;
  db = sp_getobject(env, "db.main");

  if (put(db, "updated", "old") != 0 || put(db, "deleted", "present") != 0) return 2;
  void *tx = sp_begin(env);
  if (put(db, "updated", "new") != 0 || del(db, "deleted") != 0 || put(db, "inserted", "new") != 0) return 2;

  int right = expect(tx, "updated", "old");
  right &= expect(tx, "deleted", "present");
  right &= expect(tx, "inserted", NULL);
  sp_destroy(tx);
  sp_destroy(env);
  return right ? 0 : 1;
}
