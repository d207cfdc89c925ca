/*
 * Sophia's heap. binding.gyp compiles deps/sophia/sophia.c with malloc,
 * calloc, realloc and free renamed to the functions below, so every block
 * Sophia allocates comes through here.
 *
 * Why: Sophia's in-memory index is a red-black tree of small blocks (one
 * per row version, key and value together), and every read walks it from
 * the root. Taken from the C heap, those blocks sit among everything else
 * the process allocates, each with the C heap's header, and a walk touches
 * a new cache line and often a new page at nearly every level. Here blocks
 * of up to SMALL_MAX bytes are cut from pages of blocks of one size, rows
 * packed next to one another: reads and scans run about a fifth faster
 * (bench/README.md). Larger blocks go to the C heap.
 *
 * Transparent huge pages (MADV_HUGEPAGE) would add some 5% more to reads,
 * but the first write to each 2 MiB then faults in a whole huge page, with
 * the kernel compacting memory for it if need be: a stall of milliseconds
 * in whichever call, on the JS thread, happened to need the memory.
 *
 * Layout: one reservation of address space (PROT_NONE: nothing committed),
 * committed a chunk at a time. Chunks are cut into 64 KiB pages. A page
 * serves one size class at a time and keeps its own list of freed blocks;
 * a page whose blocks are all free again goes back to a pool any class
 * takes pages from, so memory freed by one size serves others. pages[]
 * describes every page, so free() needs no header and tells its own blocks
 * from the C heap's by address. Memory is never returned to the system
 * (the C heap mostly does not return it either).
 *
 * When the reservation cannot be made, or is used up, or a chunk cannot be
 * committed (a strict overcommit limit), blocks come from the C heap: only
 * the speed-up is lost.
 */
#include "sophia_memory.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_SIZE ((size_t)2 << 20)
#define PAGE_SHIFT 16
#define PAGE_SIZE ((size_t)1 << PAGE_SHIFT)
/* test/native/sophia_memory.c sets smaller ones, to use them all up. */
#ifndef RESERVE_MAX
#define RESERVE_MAX ((size_t)64 << 30)
#endif
#ifndef RESERVE_MIN
#define RESERVE_MIN ((size_t)256 << 20)
#endif
#define PAGES_MAX (RESERVE_MAX >> PAGE_SHIFT)
#define SMALL_MAX 1024
#define GRANULE 16
#define CLASS_COUNT (SMALL_MAX / GRANULE)

typedef struct free_block {
  struct free_block *next;
} free_block;

typedef struct page {
  free_block *free;
  uint32_t carved; /* blocks cut so far, from the start of the page */
  uint32_t used;   /* blocks handed out and not freed */
  uint32_t capacity;
  uint32_t class_index;
  int has_room;    /* on its class's list of pages with room */
  struct page *prev;
  struct page *next; /* in that list, or in the pool of empty pages */
} page;

static pthread_once_t reserve_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static char *reserve_start;
static char *reserve_end;
static char *committed_end;
static char *carved_end;
static page pages[PAGES_MAX];
static page *with_room[CLASS_COUNT];
static page *empty_pages;

static void reserve (void) {
  for (size_t size = RESERVE_MAX; size >= RESERVE_MIN; size /= 2) {
    char *start = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (start == MAP_FAILED) continue;
    reserve_start = start;
    reserve_end = start + size;
    committed_end = start;
    carved_end = start;
    return;
  }
}

static int owns (const void *block) {
  return (const char *)block >= reserve_start && (const char *)block < reserve_end;
}

static size_t class_size (uint32_t index) {
  return (size_t)(index + 1) * GRANULE;
}

static page *page_of (const void *block) {
  return &pages[(size_t)((const char *)block - reserve_start) >> PAGE_SHIFT];
}

static char *address_of (const page *p) {
  return reserve_start + ((size_t)(p - pages) << PAGE_SHIFT);
}

/* The functions below run with heap_lock held. */

static void list_room (page *p) {
  p->prev = NULL;
  p->next = with_room[p->class_index];
  if (p->next != NULL) p->next->prev = p;
  with_room[p->class_index] = p;
  p->has_room = 1;
}

static void unlist_room (page *p) {
  if (p->prev != NULL) p->prev->next = p->next;
  else with_room[p->class_index] = p->next;
  if (p->next != NULL) p->next->prev = p->prev;
  p->has_room = 0;
}

/* An empty page for class `index`, from the pool or the reservation. */
static page *new_page (uint32_t index) {
  page *p = empty_pages;
  if (p != NULL) {
    empty_pages = p->next;
  } else {
    if (carved_end == committed_end) {
      if (committed_end == reserve_end) return NULL;
      if (mprotect(committed_end, CHUNK_SIZE, PROT_READ | PROT_WRITE) != 0) return NULL;
      committed_end += CHUNK_SIZE;
    }
    p = page_of(carved_end);
    carved_end += PAGE_SIZE;
  }
  p->free = NULL;
  p->carved = 0;
  p->used = 0;
  p->class_index = index;
  p->capacity = (uint32_t)(PAGE_SIZE / class_size(index));
  list_room(p);
  return p;
}

static void *take (uint32_t index) {
  page *p = with_room[index];
  if (p == NULL && (p = new_page(index)) == NULL) return NULL;
  void *block;
  if (p->free != NULL) {
    block = p->free;
    p->free = p->free->next;
  } else {
    block = address_of(p) + (size_t)p->carved * class_size(index);
    p->carved++;
  }
  if (++p->used == p->capacity) unlist_room(p);
  return block;
}

static void give_back (void *block) {
  page *p = page_of(block);
  free_block *freed = block;
  freed->next = p->free;
  p->free = freed;
  if (!p->has_room) list_room(p);
  if (--p->used == 0) {
    unlist_room(p);
    p->next = empty_pages;
    empty_pages = p;
  }
}

void *sophia_level_malloc (size_t size) {
  if (size <= SMALL_MAX) {
    pthread_once(&reserve_once, reserve);
    if (reserve_start != NULL) {
      pthread_mutex_lock(&heap_lock);
      void *block = take(size == 0 ? 0 : (uint32_t)((size - 1) / GRANULE));
      pthread_mutex_unlock(&heap_lock);
      if (block != NULL) return block;
    }
  }
  return malloc(size);
}

void *sophia_level_calloc (size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  size_t total = count * size;
  if (total > SMALL_MAX) return calloc(count, size);
  void *block = sophia_level_malloc(total);
  if (block != NULL) memset(block, 0, total);
  return block;
}

void sophia_level_free (void *block) {
  if (block == NULL) return;
  pthread_once(&reserve_once, reserve);
  if (!owns(block)) {
    free(block);
    return;
  }
  pthread_mutex_lock(&heap_lock);
  give_back(block);
  pthread_mutex_unlock(&heap_lock);
}

void *sophia_level_realloc (void *block, size_t size) {
  if (block == NULL) return sophia_level_malloc(size);
  pthread_once(&reserve_once, reserve);
  if (!owns(block)) return realloc(block, size);
  /* A page's class changes only once all its blocks are free, and this one
   * is not. */
  size_t old_size = class_size(page_of(block)->class_index);
  if (size <= old_size && size > old_size / 2) return block;
  void *moved = sophia_level_malloc(size);
  if (moved == NULL) return NULL;
  memcpy(moved, block, size < old_size ? size : old_size);
  sophia_level_free(block);
  return moved;
}
