/*
 * Checks our patch 0009 (keys compared eight bytes at a time): it must order
 * strings exactly as upstream's memcmp() did. Built with Sophia's source
 * included, so that it can call sf_cmpstring() directly: against a
 * reference comparison, on every pair of short strings over a small
 * alphabet chosen for its edge bytes (0x00, 0x7f, 0x80, 0xff), on random
 * pairs that share long prefixes and differ anywhere in the words, and on
 * pairs at unaligned addresses. Then through the API: random keys of 1 to
 * 40 bytes, in node files after a checkpoint and half of them written again
 * in memory, come back in order from cursors (forward and back), each is
 * found by sp_get, and keys next to them never written are not; keys of a
 * u32 part and a string part come back in order. Prints "ok: ..." or
 * "FAILED: ..." per check.
 *
 *   string_compare <directory>
 */
/* First: it sets the feature macros that its system headers need. */
#include "sophia.c"
#include "maintenance_harness.h"

#define MAX_SIZE 40
#define KEYS 20000

/* What upstream computed: memcmp() over the common length, then the
 * shorter string first. */
static int reference_compare(const char *a, int asz, const char *b, int bsz) {
  int size = asz < bsz ? asz : bsz;
  int rc = memcmp(a, b, size);
  if (rc != 0) return rc < 0 ? -1 : 1;
  if (asz == bsz) return 0;
  return asz < bsz ? -1 : 1;
}

/* Counts a pair whose two comparisons (a with b, b with a) disagree with
 * the reference. */
static int wrong_pair(const char *a, int asz, const char *b, int bsz) {
  int expected = reference_compare(a, asz, b, bsz);
  return sf_cmpstring((char *)a, asz, (char *)b, bsz, NULL) != expected ||
         sf_cmpstring((char *)b, bsz, (char *)a, asz, NULL) != -expected;
}

static const unsigned char EDGES[] = { 0x00, 0x7f, 0x80, 0xff };

/* Every pair of strings of 0 to 4 bytes over EDGES (341 strings, 116,281
 * pairs), each placed after a common prefix of 0, 5 and 8 bytes so that the
 * differences fall in the byte loop, across and in the first word. */
static void check_exhaustive(void) {
  enum { STRINGS = 1 + 4 + 16 + 64 + 256 };
  unsigned char strings[STRINGS][4];
  int sizes[STRINGS];
  int n = 0;
  for (int size = 0; size <= 4; size++) {
    int count = 1 << (2 * size);
    for (int code = 0; code < count; code++) {
      for (int k = 0; k < size; k++) strings[n][k] = EDGES[(code >> (2 * k)) & 3];
      sizes[n++] = size;
    }
  }
  static const int prefixes[] = { 0, 5, 8 };
  long pairs = 0, wrong = 0;
  char a[16], b[16];
  for (int p = 0; p < 3; p++) {
    int prefix = prefixes[p];
    memset(a, 'k', prefix);
    memset(b, 'k', prefix);
    for (int i = 0; i < STRINGS; i++) {
      memcpy(a + prefix, strings[i], sizes[i]);
      for (int j = 0; j < STRINGS; j++) {
        memcpy(b + prefix, strings[j], sizes[j]);
        wrong += wrong_pair(a, prefix + sizes[i], b, prefix + sizes[j]);
        pairs++;
      }
    }
  }
  char line[160];
  snprintf(line, sizeof line, "%ld pairs of short strings over 00 7f 80 ff compare as memcmp() does (%ld wrong)",
           pairs, wrong);
  check(wrong == 0, line);
}

static void random_bytes(char *s, int size) {
  for (int k = 0; k < size; k++) s[k] = (char)(next_random() & 0xff);
}

/* 2,000,000 random pairs: b is a copy of a with one byte changed (or cut
 * short, or grown), so that they share a prefix of any length, read from
 * addresses at every offset within a word. */
static void check_random_pairs(void) {
  static char memory[2][MAX_SIZE + 16];
  long wrong = 0;
  for (int n = 0; n < 2000000; n++) {
    char *a = memory[0] + next_random() % 8;
    char *b = memory[1] + next_random() % 8;
    int asz = next_random() % (MAX_SIZE + 1);
    random_bytes(a, asz);
    memcpy(b, a, asz);
    int bsz = asz;
    switch (next_random() % 4) {
    case 0:
      if (asz > 0) b[next_random() % asz] = (char)(next_random() & 0xff);
      break;
    case 1:
      if (asz > 0) b[next_random() % asz] ^= (char)(1u << (next_random() % 8));
      break;
    case 2:
      bsz = next_random() % (asz + 1);
      break;
    default:
      bsz = asz + next_random() % (MAX_SIZE - asz + 1);
      random_bytes(b + asz, bsz - asz);
    }
    wrong += wrong_pair(a, asz, b, bsz);
  }
  char line[120];
  snprintf(line, sizeof line, "2000000 random pairs with shared prefixes compare as memcmp() does (%ld wrong)", wrong);
  check(wrong == 0, line);
}

struct key {
  char bytes[MAX_SIZE];
  int size;
};

static int key_order(const void *x, const void *y) {
  const struct key *a = x, *b = y;
  return reference_compare(a->bytes, a->size, b->bytes, b->size);
}

/* KEYS distinct random keys of 1 to MAX_SIZE bytes, sorted; more than half
 * start with one of a few prefixes, so that comparisons go past the first
 * words. */
static int make_keys(struct key *keys, int count) {
  for (int i = 0; i < count; i++) {
    keys[i].size = 1 + next_random() % MAX_SIZE;
    random_bytes(keys[i].bytes, keys[i].size);
    int prefix = next_random() % 12;
    if (prefix > keys[i].size) prefix = keys[i].size;
    if (next_random() % 2) memset(keys[i].bytes, "\x00\x80\xff"[next_random() % 3], prefix);
  }
  qsort(keys, count, sizeof *keys, key_order);
  int distinct = 0;
  for (int i = 0; i < count; i++) {
    if (distinct > 0 && key_order(&keys[distinct - 1], &keys[i]) == 0) continue;
    keys[distinct++] = keys[i];
  }
  return distinct;
}

/* Writes keys[from..to) in a shuffled order, each with its index as value. */
static void write_keys(void *env, void *db, const struct key *keys, int from, int to) {
  int count = to - from;
  int *order = malloc(sizeof(int) * count);
  for (int i = 0; i < count; i++) order[i] = from + i;
  for (int i = count - 1; i > 0; i--) {
    int j = next_random() % (i + 1);
    int t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int i = 0; i < count; i++) {
    void *o = sp_document(db);
    sp_setstring(o, "key", keys[order[i]].bytes, keys[order[i]].size);
    sp_setstring(o, "value", &order[i], sizeof(int));
    if (sp_set(db, o) != 0) die(env, "sp_set");
  }
  free(order);
}

/* Whether a cursor in `order` from no key reads keys[] in order (or in
 * reverse). */
static int cursor_in_order(void *env, void *db, const struct key *keys, int count, const char *order) {
  int reverse = order[0] == '<';
  void *cursor = sp_cursor(env);
  if (cursor == NULL) die(env, "sp_cursor");
  void *o = sp_document(db);
  sp_setstring(o, "order", order, 0);
  int read = 0, ok = 1;
  while ((o = sp_get(cursor, o)) != NULL) {
    int at = reverse ? count - 1 - read : read;
    int size = 0, valuesize = 0;
    const char *key = sp_getstring(o, "key", &size);
    const int *value = sp_getstring(o, "value", &valuesize);
    if (read >= count || size != keys[at].size || memcmp(key, keys[at].bytes, size) != 0 ||
        valuesize != sizeof(int) || *value != at) {
      ok = 0;
      sp_destroy(o);
      break;
    }
    read++;
  }
  sp_destroy(cursor);
  return ok && read == count;
}

/* How many of keys[] sp_get fails to find with their own value. */
static int missing_keys(void *env, void *db, const struct key *keys, int count) {
  int missing = 0;
  for (int i = 0; i < count; i++) {
    void *o = sp_document(db);
    sp_setstring(o, "key", keys[i].bytes, keys[i].size);
    void *result = sp_get(db, o);
    int size = 0;
    const int *value = result ? sp_getstring(result, "value", &size) : NULL;
    if (value == NULL || size != sizeof(int) || *value != i) missing++;
    if (result) sp_destroy(result);
  }
  return missing;
}

/* How many keys between and around keys[] that were never written sp_get
 * finds: each key with its last byte changed, or cut short, or grown. */
static int found_strangers(void *env, void *db, const struct key *keys, int count) {
  int found = 0, tried = 0;
  for (int i = 0; i < count; i++) {
    struct key stranger = keys[i];
    switch (i % 3) {
    case 0:
      stranger.bytes[stranger.size - 1] ^= 0x01;
      break;
    case 1:
      stranger.size--;
      break;
    default:
      if (stranger.size == MAX_SIZE) continue;
      stranger.bytes[stranger.size++] = 0;
    }
    if (stranger.size == 0 || bsearch(&stranger, keys, count, sizeof *keys, key_order) != NULL) continue;
    tried++;
    void *o = sp_document(db);
    sp_setstring(o, "key", stranger.bytes, stranger.size);
    void *result = sp_get(db, o);
    if (result) {
      found++;
      sp_destroy(result);
    }
  }
  return tried > count / 2 ? found : -1;
}

static void check_through_api(void *env, void *db) {
  static struct key keys[KEYS];
  int count = make_keys(keys, KEYS);
  write_keys(env, db, keys, 0, count);
  call(env, "db.strings.compaction.checkpoint");
  if (wait_flag(env, "strings", "checkpoint", 60000, 1) < 0) die(env, "checkpoint");
  /* Half the keys again (same values), now also in memory over the files. */
  for (int i = 0; i < count; i += 2) write_keys(env, db, keys, i, i + 1);
  char line[160];
  snprintf(line, sizeof line, "%d random keys, in node files and in memory, come back in order from a '>=' cursor", count);
  check(cursor_in_order(env, db, keys, count, ">="), line);
  check(cursor_in_order(env, db, keys, count, "<="), "and in reverse order from a '<=' cursor");
  int missing = missing_keys(env, db, keys, count);
  snprintf(line, sizeof line, "sp_get finds every key with its value (%d not found)", missing);
  check(missing == 0, line);
  int found = found_strangers(env, db, keys, count);
  snprintf(line, sizeof line, "sp_get finds no key next to them that was never written (%d found)", found);
  check(found == 0, line);
}

/* Keys of two parts, a u32 and a string: the string part takes the direct
 * path inside sf_compare, after the u32 part. */
static void check_two_parts(void *env, void *db) {
  enum { PAIRS = 3000 };
  static struct key strings[PAIRS];
  int count = make_keys(strings, PAIRS);
  for (int i = 0; i < count; i++) {
    for (uint32_t a = 0; a < 3; a++) {
      void *o = sp_document(db);
      sp_setint(o, "a", (2 - a) * 1000);
      sp_setstring(o, "b", strings[i].bytes, strings[i].size);
      if (sp_set(db, o) != 0) die(env, "sp_set pairs");
    }
  }
  void *cursor = sp_cursor(env);
  void *o = sp_document(db);
  sp_setstring(o, "order", ">=", 0);
  int read = 0, ok = 1;
  while ((o = sp_get(cursor, o)) != NULL) {
    int at = read % count;
    int size = 0;
    const char *b = sp_getstring(o, "b", &size);
    uint32_t a = (uint32_t)sp_getint(o, "a");
    if (a != (uint32_t)(read / count) * 1000 || size != strings[at].size || memcmp(b, strings[at].bytes, size) != 0) {
      ok = 0;
      sp_destroy(o);
      break;
    }
    read++;
  }
  sp_destroy(cursor);
  char line[120];
  snprintf(line, sizeof line, "%d keys of a u32 and a string part come back in order", count * 3);
  check(ok && read == count * 3, line);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <directory>\n", argv[0]);
    return 2;
  }
  /* Each line out before an assertion of Sophia's can abort the run. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  seed_random(9);
  check_exhaustive();
  check_random_pairs();

  void *env = sp_env();
  sp_setstring(env, "sophia.path", argv[1], 0);
  sp_setint(env, "scheduler.threads", 0);
  sp_setstring(env, "db", "strings", 0);
  sp_setint(env, "db.strings.compaction.node_size", 64 * 1024);
  sp_setint(env, "db.strings.compaction.page_size", 4 * 1024);
  declare_two_part_db(env, "pairs");
  if (sp_open(env) != 0) die(env, "sp_open");
  check_through_api(env, sp_getobject(env, "db.strings"));
  check_two_parts(env, sp_getobject(env, "db.pairs"));
  sp_destroy(env);
  return failed;
}
