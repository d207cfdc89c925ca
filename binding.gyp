{
  "targets": [
    {
      "target_name": "sophia",
      "type": "static_library",
      "standalone_static_library": 1,
      "sources": ["deps/sophia/sophia.c"],
      "cflags": ["-std=gnu99", "-O2", "-fPIC", "-fvisibility=hidden", "-w"],
      "cflags!": ["-fno-strict-aliasing"],
      "direct_dependent_settings": {
        "include_dirs": ["deps/sophia"]
      },
      "link_settings": {
        "libraries": ["-lpthread"]
      }
    },
    {
      "target_name": "sophia_level",
      "dependencies": ["sophia"],
      "sources": [
        "binding/addon.cc",
        "binding/bytes.cc",
        "binding/catalog.cc",
        "binding/cursor_walk.cc",
        "binding/environment.cc",
        "binding/directory_lock.cc",
        "binding/errors.cc",
        "binding/iterator.cc",
        "binding/lifecycle_workers.cc",
        "binding/log_sync_worker.cc",
        "binding/read_set.cc",
        "binding/read_view.cc",
        "binding/schema.cc",
        "binding/snapshot.cc",
        "binding/transaction.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"],
      "ldflags": ["-Wl,--exclude-libs,ALL"]
    }
  ]
}
