/*
 * Checks binding/sophia_memory.c, Sophia's heap, from the inside: it is
 * included whole, with a reservation of RESERVE_MAX bytes (set on the
 * command line, small enough to use up). Prints "ok: ..." or "FAILED: ..."
 * per check; test/sophia-memory-test.js compiles and runs it.
 *
 *   sophia_memory [threads] [operations per thread]
 */
#include "../../binding/sophia_memory.c"

#include <stdio.h>

static int failed = 0;

static void check (int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) failed = 1;
}

static void fill (unsigned char *block, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; i++) block[i] = (unsigned char)(seed + i * 31);
}

static int holds (const unsigned char *block, size_t size, unsigned seed) {
  for (size_t i = 0; i < size; i++) {
    if (block[i] != (unsigned char)(seed + i * 31)) return 0;
  }
  return 1;
}

static void sizes_and_alignment (void) {
  static unsigned char *blocks[SMALL_MAX + 1];
  int owned = 1, aligned = 1, intact = 1;
  for (size_t size = 0; size <= SMALL_MAX; size++) {
    blocks[size] = sophia_level_malloc(size);
    owned &= blocks[size] != NULL && owns(blocks[size]);
    aligned &= ((uintptr_t)blocks[size] & 15) == 0;
    fill(blocks[size], size, (unsigned)size);
  }
  /* Written all at once, then read back: no two blocks overlap. */
  for (size_t size = 0; size <= SMALL_MAX; size++) intact &= holds(blocks[size], size, (unsigned)size);
  check(owned, "every size from 0 to SMALL_MAX comes from the reservation");
  check(aligned, "every block is 16-byte aligned");
  check(intact, "1025 blocks filled at once keep their contents");

  unsigned char *reused = blocks[200];
  sophia_level_free(reused);
  check(sophia_level_malloc(193) == reused, "a freed block is reused for a size of its class");
  for (size_t size = 0; size <= SMALL_MAX; size++) sophia_level_free(blocks[size]);

  void *large = sophia_level_malloc(SMALL_MAX + 1);
  check(large != NULL && !owns(large), "a block over SMALL_MAX comes from the C heap");
  sophia_level_free(large);
  sophia_level_free(NULL);
  check(1, "free(NULL) does nothing");
}

static void reallocation (void) {
  unsigned char *block = sophia_level_malloc(100);
  fill(block, 100, 7);
  check(sophia_level_realloc(block, 112) == block, "growing within the size class keeps the block");
  unsigned char *grown = sophia_level_realloc(block, 500);
  check(grown != block && owns(grown) && holds(grown, 100, 7), "growing past the class moves the contents");
  unsigned char *shrunk = sophia_level_realloc(grown, 40);
  check(shrunk != grown && owns(shrunk) && holds(shrunk, 40, 7), "shrinking below half the class moves the kept part");
  unsigned char *large = sophia_level_realloc(shrunk, 5000);
  check(large != NULL && !owns(large) && holds(large, 40, 7), "growing past SMALL_MAX moves to the C heap");
  fill(large, 5000, 9);
  unsigned char *still_large = sophia_level_realloc(large, 10);
  check(still_large != NULL && !owns(still_large) && holds(still_large, 10, 9),
        "a C heap block stays in the C heap, whatever its new size");
  sophia_level_free(still_large);
  unsigned char *fresh = sophia_level_realloc(NULL, 64);
  check(fresh != NULL && owns(fresh), "realloc(NULL, n) allocates");
  sophia_level_free(fresh);
}

static void zeroing (void) {
  unsigned char *dirty = sophia_level_malloc(300);
  memset(dirty, 0xab, 300);
  sophia_level_free(dirty);
  unsigned char *clean = sophia_level_calloc(3, 100);
  int zero = clean == dirty;
  for (size_t i = 0; i < 300; i++) zero &= clean[i] == 0;
  check(zero, "calloc zeroes a reused block");
  sophia_level_free(clean);
  errno = 0;
  check(sophia_level_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc refuses a size that overflows");
  unsigned char *large = sophia_level_calloc(1, 4096);
  int large_zero = large != NULL;
  for (size_t i = 0; large_zero && i < 4096; i++) large_zero &= large[i] == 0;
  check(large_zero && !owns(large), "calloc over SMALL_MAX zeroes, from the C heap");
  sophia_level_free(large);
}

/* Memory freed by blocks of one size serves blocks of another: 100 pages of
 * 48-byte blocks freed, then 100 pages of 800-byte blocks cut from them, with
 * no page carved anew. (The test's reservation has 128 pages.) */
static void recycling (void) {
  size_t small = (PAGE_SIZE / 48) * 100, large = (PAGE_SIZE / 800) * 100;
  unsigned char **blocks = malloc(small * sizeof *blocks);
  int owned = 1;
  for (size_t i = 0; i < small; i++) owned &= owns(blocks[i] = sophia_level_malloc(48));
  check(owned, "100 pages of 48-byte blocks");
  for (size_t i = 0; i < small; i++) sophia_level_free(blocks[i]);
  char *carved_before = carved_end;
  for (size_t i = 0; i < large; i++) {
    blocks[i] = sophia_level_malloc(800);
    owned &= owns(blocks[i]);
    fill(blocks[i], 800, (unsigned)i);
  }
  int intact = 1;
  for (size_t i = 0; i < large; i++) intact &= holds(blocks[i], 800, (unsigned)i);
  check(owned && carved_end == carved_before, "then 100 pages of 800-byte blocks in the same pages, none carved anew");
  check(intact, "the 800-byte blocks keep their contents");
  for (size_t i = 0; i < large; i++) sophia_level_free(blocks[i]);
  free(blocks);
}

/* Uses the reservation up: then blocks come from the C heap, and once some
 * are freed, from the reservation again. */
static void exhaustion (void) {
  size_t capacity = (size_t)(reserve_end - reserve_start);
  size_t count = capacity / 64 + 1000;
  unsigned char **blocks = malloc(count * sizeof *blocks);
  size_t owned = 0, heap = 0, intact = 1;
  for (size_t i = 0; i < count; i++) {
    blocks[i] = sophia_level_malloc(64);
    if (blocks[i] == NULL) break;
    if (owns(blocks[i])) owned++; else heap++;
    fill(blocks[i], 64, (unsigned)i);
  }
  for (size_t i = 0; i < count; i++) intact &= blocks[i] != NULL && holds(blocks[i], 64, (unsigned)i);
  check(heap > 0 && owned > 0, "a full reservation hands out blocks from the C heap");
  check(intact, "every block of both kinds keeps its contents");
  printf("exhaustion: %zu blocks from the reservation, %zu from the C heap\n", owned, heap);
  for (size_t i = 0; i < count; i++) sophia_level_free(blocks[i]);
  void *again = sophia_level_malloc(64);
  check(owns(again), "blocks freed into the reservation are handed out again");
  sophia_level_free(again);
  free(blocks);
}

typedef struct {
  unsigned seed;
  long operations;
  int ok;
} worker;

#define SLOTS 512

static unsigned next_random (unsigned *state) {
  *state = *state * 1103515245u + 12345u;
  return *state >> 8;
}

/* Random allocations, reallocations and frees of random sizes, each block
 * filled and checked before it changes hands. */
static void *churn (void *argument) {
  worker *w = argument;
  unsigned char *blocks[SLOTS] = {0};
  size_t sizes[SLOTS] = {0};
  unsigned seeds[SLOTS] = {0};
  unsigned state = w->seed;
  w->ok = 1;
  for (long n = 0; n < w->operations; n++) {
    unsigned slot = next_random(&state) % SLOTS;
    unsigned pick = next_random(&state);
    /* From 1: realloc(block, 0) is for the C library to define. */
    size_t size = pick % 8 == 0 ? SMALL_MAX + 1 + pick % 3000 : 1 + pick % SMALL_MAX;
    if (blocks[slot] != NULL && !holds(blocks[slot], sizes[slot], seeds[slot])) w->ok = 0;
    if (pick % 3 == 0 && blocks[slot] != NULL) {
      unsigned char *moved = sophia_level_realloc(blocks[slot], size);
      size_t kept = size < sizes[slot] ? size : sizes[slot];
      if (moved == NULL || !holds(moved, kept, seeds[slot])) w->ok = 0;
      blocks[slot] = moved;
    } else {
      sophia_level_free(blocks[slot]);
      blocks[slot] = sophia_level_malloc(size);
      if (blocks[slot] == NULL) w->ok = 0;
    }
    sizes[slot] = size;
    seeds[slot] = pick;
    fill(blocks[slot], size, pick);
  }
  for (unsigned slot = 0; slot < SLOTS; slot++) {
    if (blocks[slot] != NULL && !holds(blocks[slot], sizes[slot], seeds[slot])) w->ok = 0;
    sophia_level_free(blocks[slot]);
  }
  return NULL;
}

static void threads (int count, long operations) {
  pthread_t ids[16];
  worker workers[16];
  if (count > 16) count = 16;
  for (int i = 0; i < count; i++) {
    workers[i] = (worker){ .seed = 1234u + (unsigned)i * 7919u, .operations = operations };
    pthread_create(&ids[i], NULL, churn, &workers[i]);
  }
  int ok = 1;
  for (int i = 0; i < count; i++) {
    pthread_join(ids[i], NULL);
    ok &= workers[i].ok;
  }
  char what[128];
  snprintf(what, sizeof what, "%d threads x %ld random malloc/realloc/free keep every block's contents", count, operations);
  check(ok, what);
}

int main (int argc, char **argv) {
  int thread_count = argc > 1 ? atoi(argv[1]) : 4;
  long operations = argc > 2 ? atol(argv[2]) : 200000;
  sizes_and_alignment();
  reallocation();
  zeroing();
  recycling();
  threads(thread_count, operations);
  exhaustion();
  return failed;
}
